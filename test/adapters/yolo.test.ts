import test from 'ava';
import { Tensor } from 'onnxruntime-node';
import { createYoloAdapter, parseImgsz, yoloFactory } from '../../agent/adapters/yolo.js';
import type { Frame } from '../../agent/types.js';

const frame = (width: number, height: number): Frame =>
  ({ width, height, data: new Float32Array(width * height).fill(200), dtype: 'uint8', min: 200, max: 200, mean: 200, pixelSize: null, format: 't' });

const params = { input: 'images', output: 'output0', size: 64, confidence: 0.25, iou: 0.7, maxDet: 300 };

/** output0 [1, 4+nc(+nm), A] from per-anchor rows [cx, cy, w, h, ...scores, ...coefs]. */
function raw(anchors: number[][]): Tensor {
  const c = anchors[0]!.length, a = anchors.length;
  const d = new Float32Array(c * a);
  anchors.forEach((row, j) => row.forEach((v, k) => { d[k * a + j] = v; }));
  return new Tensor('float32', d, [1, c, a]);
}

test('imgsz metadata parsing', (t) => {
  t.is(parseImgsz('[640, 640]'), 640);
  t.is(parseImgsz('[480, 640]'), 640);
  t.is(parseImgsz('1024'), 1024);
  t.is(parseImgsz(undefined), undefined);
});

test('preprocess letterboxes a 200x100 frame into 64x64 with pad 114, RGB /255', (t) => {
  const a = createYoloAdapter(params);
  const { feeds, ctx } = a.preprocess(frame(200, 100));
  const x = feeds.images!;
  t.deepEqual(x.dims, [1, 3, 64, 64]);
  const d = x.data as Float32Array;
  t.is(d[0], Math.fround(114 / 255)); // top padding row
  t.is(d[20 * 64 + 10], Math.fround(200 / 255)); // inside the image (rows 16..47)
  t.is(d[2 * 4096 + 50 * 64], Math.fround(114 / 255)); // bottom padding, third channel
  t.like(ctx, { ratio: 0.32, top: 16, left: 0 });
});

test('raw detect output: decode cx,cy,w,h, drop low scores, per-class NMS, map through the letterbox', (t) => {
  const a = createYoloAdapter(params);
  const f = frame(200, 100);
  const prepared = a.preprocess(f);
  const out = raw([
    [24, 32, 16, 16, 0.9, 0.1],  // box 16..32 x 24..40 input -> original x 50..100, y (24-16)/.32=25..75
    [25, 32, 16, 16, 0.8, 0.0],  // same class, IoU .88 -> suppressed
    [25, 32, 16, 16, 0.0, 0.6],  // class 1 -> kept
    [50, 40, 8, 8, 0.2, 0.1],    // below 0.25 -> dropped
  ]);
  const dets = a.postprocess({ output0: out }, prepared, f);
  t.is(dets.length, 2);
  t.deepEqual(dets[0]!.box.map((v) => +v.toFixed(3)), [50, 25, 100, 75]);
  t.is(dets[0]!.label, 0);
  t.true(Math.abs(dets[0]!.score - 0.9) < 1e-6);
  t.is(dets[1]!.label, 1);
  t.is(dets[0]!.mask, undefined);
});

test('seg output: mask = sigmoid(coef . protos) inside the box, mapped to original pixels', (t) => {
  const a = createYoloAdapter({ ...params, protos: 'output1' });
  const f = frame(64, 64); // no letterbox: ratio 1
  const prepared = a.preprocess(f);
  const nm = 2;
  // protos 16x16 (stride 4): channel 0 is +5 on the left half (u < 8), -5 on the right; channel 1 is 0
  const p = new Float32Array(nm * 16 * 16);
  for (let v = 0; v < 16; v++) for (let u = 0; u < 16; u++) p[v * 16 + u] = u < 8 ? 5 : -5;
  const out = raw([[32, 32, 32, 16, 0.9, 1, 0]]); // nc=1, coefs [1, 0]; box x 16..48, y 24..40
  const dets = a.postprocess({ output0: out, output1: new Tensor('float32', p, [1, nm, 16, 16]) }, prepared, f);
  t.is(dets.length, 1);
  const m = dets[0]!.mask!;
  t.deepEqual([m.x0, m.y0, m.width, m.height], [16, 24, 32, 16]);
  // proto column u=7 covers input x 28..32, u=8 starts at 32: the mask is on for x < 32 (bilinear midpoint at 32)
  const row = [...m.data.subarray(0, 32)];
  t.deepEqual(row, [...new Array(16).fill(1), ...new Array(16).fill(0)]);
});

test('end-to-end (nms=True) output [1,K,6]: boxes used as given, scores filtered, no NMS', (t) => {
  const a = createYoloAdapter(params);
  const f = frame(200, 100);
  const prepared = a.preprocess(f);
  const d = new Float32Array(300 * 6);
  d.set([16, 24, 32, 40, 0.95, 0], 0);
  d.set([16, 24, 32, 40, 0.90, 0], 6); // duplicate kept: end-to-end models are already de-duplicated
  d.set([0, 16, 64, 48, 0.10, 1], 12); // below confidence
  const dets = a.postprocess({ output0: new Tensor('float32', d, [1, 300, 6]) }, prepared, f);
  t.is(dets.length, 2);
  t.deepEqual(dets[0]!.box.map((v) => +v.toFixed(3)), [50, 25, 100, 75]);
});

test('the factory reads imgsz from metadata and is chosen for Ultralytics-authored models', (t) => {
  const info = { inputNames: ['images'], outputNames: ['output0'], metadata: { author: 'Ultralytics', imgsz: '[320, 320]' } };
  t.true(yoloFactory.matches(info));
  t.is(yoloFactory.create(info).inputSize, 320);
  t.false(yoloFactory.matches({ inputNames: ['image'], outputNames: ['prob'], metadata: {} }));
});
