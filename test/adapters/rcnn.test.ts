import test from 'ava';
import { Tensor } from 'onnxruntime-node';
import { createDetectron2Adapter, detectron2Factory } from '../../agent/adapters/detectron2.js';
import { createMaskrcnnAdapter, maskrcnnFactory } from '../../agent/adapters/maskrcnn-torchvision.js';
import type { Frame } from '../../agent/types.js';

const frame = (width: number, height: number): Frame =>
  ({ width, height, data: new Float32Array(width * height).fill(51), dtype: 'uint8', min: 51, max: 51, mean: 51, pixelSize: null, format: 't' });

test('torchvision: input [3,H,W] RGB 0..1 at the frame size; boxes kept, soft masks cut to boxes at 0.5', (t) => {
  const a = createMaskrcnnAdapter({ input: 'image', boxes: 'boxes', labels: 'labels', scores: 'scores', masks: 'masks' });
  const f = frame(8, 6);
  const prepared = a.preprocess(f);
  t.deepEqual(prepared.feeds.image!.dims, [3, 6, 8]);
  t.is((prepared.feeds.image!.data as Float32Array)[47 + 48], Math.fround(0.2));
  const masks = new Float32Array(2 * 48);
  for (let y = 1; y < 3; y++) for (let x = 2; x < 4; x++) masks[y * 8 + x] = 0.7; // det 0: 2x2 blob
  masks[48 + 5 * 8 + 7] = 0.4; // det 1: below 0.5 everywhere -> no mask
  const out = a.postprocess({
    boxes: new Tensor('float32', Float32Array.from([1.5, 0.5, 4.2, 3.0, 6, 4, 8, 6]), [2, 4]),
    labels: new Tensor('int64', BigInt64Array.from([1n, 2n]), [2]),
    scores: new Tensor('float32', Float32Array.from([0.9, 0.3]), [2]),
    masks: new Tensor('float32', masks, [2, 1, 6, 8]),
  }, prepared, f);
  t.deepEqual(out[0]!.box.map((v) => +v.toFixed(3)), [1.5, 0.5, 4.2, 3.0]);
  t.is(out[0]!.label, 1);
  const m = out[0]!.mask!;
  t.deepEqual([m.x0, m.y0, m.width, m.height], [1, 0, 4, 3]);
  t.deepEqual([...m.data], [0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0]);
  t.is(out[1]!.mask, undefined);
  t.is(out[1]!.label, 2);
});

test('torchvision factory: chosen by output names; Faster R-CNN (no masks) is accepted', (t) => {
  t.true(maskrcnnFactory.matches({ inputNames: ['image'], outputNames: ['boxes', 'labels', 'scores', 'masks'], metadata: {} }));
  t.true(maskrcnnFactory.matches({ inputNames: ['image'], outputNames: ['boxes', 'labels', 'scores'], metadata: {} }));
  t.false(maskrcnnFactory.matches({ inputNames: ['image'], outputNames: ['output0'], metadata: {} }));
});

test('detectron2: resized BGR 0..255 input; boxes scaled back; 28x28 masks pasted', (t) => {
  const a = createDetectron2Adapter({ input: 'x', outputs: ['b', 'c', 'm', 's', 'i'], minSize: 800, maxSize: 1333 });
  const f = frame(400, 200); // -> 1333 x 667? 800/200=4 -> 1600 > 1333 -> scale 3.3325 -> 1333 x 667
  const prepared = a.preprocess(f);
  t.deepEqual(prepared.feeds.x!.dims, [3, 667, 1333]);
  t.is((prepared.feeds.x!.data as Float32Array)[0], 51);
  const sx = 1333 / 400, sy = 667 / 200;
  const grid = new Float32Array(28 * 28);
  for (let v = 0; v < 28; v++) for (let u = 0; u < 14; u++) grid[v * 28 + u] = 1; // left half on
  const out = a.postprocess({
    b: new Tensor('float32', Float32Array.from([10 * sx, 20 * sy, 30 * sx, 40 * sy]), [1, 4]),
    c: new Tensor('int64', BigInt64Array.from([0n]), [1]),
    m: new Tensor('float32', grid, [1, 1, 28, 28]),
    s: new Tensor('float32', Float32Array.from([0.75]), [1]),
    i: new Tensor('int64', BigInt64Array.from([667n, 1333n]), [2]),
  }, prepared, f);
  t.is(out.length, 1);
  t.deepEqual(out[0]!.box.map((v) => +v.toFixed(3)), [10, 20, 30, 40]);
  t.is(out[0]!.score, 0.75);
  const m = out[0]!.mask!;
  t.deepEqual([m.x0, m.y0, m.width, m.height], [10, 20, 20, 20]);
  // columns x=10..19 (centres 10.5..19.5 -> u up to 13.2 of 28) on; x=20.. off (u >= 13.7: 0.5*... )
  const row = [...m.data.subarray(0, 20)];
  t.deepEqual(row.slice(0, 10), new Array(10).fill(1));
  t.deepEqual(row.slice(11), new Array(9).fill(0));
});

test('detectron2 factory: outputs by position, image_size last; metadata can name it', (t) => {
  const info = {
    inputNames: ['image'], outputNames: ['2390', '2377', '2392', '2393', 'onnx::Shape_1'], metadata: {},
    inputShapes: { image: [3, 'h', 'w'] },
    outputShapes: { '2390': ['n', 4], '2377': ['n'], '2392': ['n', 1, 28, 28], '2393': ['n'], 'onnx::Shape_1': [2] },
  };
  t.true(detectron2Factory.matches(info));
  t.false(detectron2Factory.matches({ ...info, inputShapes: { image: [1, 3, 'h', 'w'] } }));
  t.true(detectron2Factory.matches({ inputNames: ['a'], outputNames: ['b'], metadata: { 'temguard.adapter': 'detectron2' } }));
});
