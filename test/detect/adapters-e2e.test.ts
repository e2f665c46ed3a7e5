/**
 * Each adapter end to end through the real detect stage: real ONNX graphs made by the real
 * export paths (test/fixtures/onnx, models/recipes/detector/make_fixtures.py), random weights,
 * so these check plumbing and geometry (auto-selection, shapes, pixel coordinates, masks
 * inside boxes, sorting), not detection quality.
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { createDetector } from '../../agent/pipeline/detect.js';
import { silentLogger } from '../../agent/log.js';
import type { Detection, Frame } from '../../agent/types.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/onnx/${name}`, import.meta.url));

/** A 16-bit frame (non-square, so letterbox/resize paths are exercised) with dark discs. */
function frame(width: number, height: number): Frame {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const d = Math.min(Math.hypot(x - 40, y - 30), Math.hypot(x - 120, y - 60));
    data[y * width + x] = d < 12 ? 9000 : 30000 + ((x * 31 + y * 17) % 500);
  }
  return { width, height, data, dtype: 'uint16', min: 9000, max: 30500, mean: 29000, pixelSize: null, format: 'test' };
}

function checkGeometry(t: import('ava').ExecutionContext, dets: Detection[], f: Frame): void {
  let prev = Infinity;
  for (const d of dets) {
    const [x1, y1, x2, y2] = d.box;
    t.true(x1 >= 0 && y1 >= 0 && x2 <= f.width && y2 <= f.height && x1 <= x2 && y1 <= y2, `box ${d.box.join(',')}`);
    t.true(d.score >= 0 && d.score <= 1 && d.score <= prev);
    prev = d.score;
    if (d.mask) {
      const m = d.mask;
      t.is(m.data.length, m.width * m.height);
      t.true(m.x0 >= Math.floor(x1 + 1e-3) && m.y0 >= Math.floor(y1 + 1e-3) && m.x0 + m.width <= Math.ceil(x2) && m.y0 + m.height <= Math.ceil(y2));
    }
  }
}

const cases: [file: string, adapter: string, masks: boolean][] = [
  ['unet-fixture.onnx', 'unet', true],
  ['maskrcnn-fixture.onnx', 'maskrcnn-torchvision', true],
  ['yolo-seg-fixture.onnx', 'yolo', true],
  ['yolo-det-fixture.onnx', 'yolo', false],
  ['detectron2-shaped-fixture.onnx', 'detectron2', true],
];

for (const [file, adapter, masks] of cases) {
  test(`${file}: auto-selects ${adapter} and returns detections in original pixels`, async (t) => {
    const d = await createDetector({ modelPath: fixture(file), providers: ['cpu'], confidence: 0 }, silentLogger);
    t.teardown(() => d.close());
    t.is(d.model.adapter, adapter);
    const f = frame(160, 90);
    const r = await d.detect(f);
    checkGeometry(t, r.detections, f);
    if (adapter !== 'unet') t.true(r.detections.length > 0, 'random-weight RCNN/YOLO heads with confidence 0 always propose something');
    if (!masks) t.true(r.detections.every((x) => x.mask === undefined));
    const high = await d.detect(f).then((x) => x.detections.length);
    t.is(high, r.detections.length, 'deterministic');
  });
}

test('the confidence option filters what the adapters return', async (t) => {
  const all = await createDetector({ modelPath: fixture('detectron2-shaped-fixture.onnx'), providers: ['cpu'], confidence: 0 }, silentLogger);
  const some = await createDetector({ modelPath: fixture('detectron2-shaped-fixture.onnx'), providers: ['cpu'], confidence: 0.51 }, silentLogger);
  t.teardown(async () => { await all.close(); await some.close(); });
  const f = frame(160, 90);
  const a = (await all.detect(f)).detections;
  const s = (await some.detect(f)).detections;
  t.is(a.length, 3);
  t.deepEqual(s.map((x) => x.score), a.filter((x) => x.score >= 0.51).map((x) => x.score));
  t.true(s.length < a.length);
});
