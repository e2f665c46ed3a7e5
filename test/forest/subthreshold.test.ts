import test from 'ava';
import { detectDense } from '../../agent/pipeline/dense.js';
import { createDetector, DEFAULT_MODEL_PATH } from '../../agent/pipeline/detect.js';
import { subthresholdSummary } from '../../agent/pipeline/subthreshold.js';
import { componentsToDetections } from '../../agent/adapters/components.js';
import { silentLogger } from '../../agent/log.js';
import type { DenseSpec } from '../../agent/adapters/adapter.js';
import type { Frame } from '../../agent/types.js';
import { temImages } from '../helpers/data.js';
import { frameFromFile } from '../detect/frame.js';

function frame(width: number, height: number, f: (x: number, y: number) => number): Frame {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { width, height, data, dtype: 'uint8', min: 0, max: 255, mean: 0, pixelSize: null, format: 'test' };
}

// An identity "network": the stitched map is the frame / 255, so the blobs' probabilities are known.
const spec: DenseSpec = { input: 'x', output: 'y', stride: 16, threshold: 0.5, minArea: 4, splitDepth: 0, denoise: null, dequantise: null, despike: null, objectPx: [3, 64], normaliser: () => ({ offset: 0, gain: 1 / 255 }) };

test('blobs below the threshold are counted, with their area, mean probability and the mass outside detections', async (t) => {
  // Two detected discs (p 0.9), three faint ones (p 0.3), one faint halo around a detected disc (not a miss).
  const strong = [[60, 60, 10], [200, 60, 10]] as const;
  const faint = [[60, 200, 8], [200, 200, 8], [300, 120, 8]] as const;
  const inside = (x: number, y: number, set: ReadonlyArray<readonly [number, number, number]>, grow = 0): boolean => set.some(([cx, cy, r]) => (x - cx) ** 2 + (y - cy) ** 2 <= (r + grow) ** 2);
  const f = frame(400, 300, (x, y) => (inside(x, y, strong) ? 0.9 * 255 : inside(x, y, strong, 4) ? 0.3 * 255 : inside(x, y, faint) ? 0.3 * 255 : 0));
  const run = async (i: Float32Array, o: Float32Array): Promise<void> => { o.set(i); };
  t.is((await detectDense(f, spec, run, { tile: 512, margin: 16, maxObjectPx: 1 })).subthreshold, undefined, 'off unless asked for');
  const r = await detectDense(f, spec, run, { tile: 512, margin: 16, maxObjectPx: 1, subthreshold: true });
  t.is(r.detections.length, 2);
  const s = r.subthreshold!;
  t.is(s.sub_counts, 3);
  t.is(s.sub_ratio, 3 / 5);
  const discArea = componentsToDetections(f.data.map((v) => v / 255), 400, 300, 400, { threshold: 0.1, minArea: 4 })
    .filter((d) => d.box[1] > 150 || d.box[0] > 250).reduce((a, d) => a + d.mask!.data.reduce((p, q) => p + q, 0), 0);
  t.true(Math.abs(s.sub_area - discArea / (400 * 300)) < 1e-12);
  t.true(Math.abs(s.sub_conf - 0.3) < 1e-6);
  t.true(s.sub_mass > 0 && s.sub_mass < 1, `mass outside ${s.sub_mass}`);
});

test('nothing below the threshold: all zero; an empty map: all zero', (t) => {
  const p = new Float32Array(64 * 64);
  t.deepEqual(subthresholdSummary(p, 64, 64, 64, [], { minArea: 4 }), { sub_counts: 0, sub_ratio: 0, sub_area: 0, sub_conf: 0, sub_mass: 0 });
  for (let y = 10; y < 20; y++) for (let x = 10; x < 20; x++) p[y * 64 + x] = 0.95;
  const found = componentsToDetections(p, 64, 64, 64, { threshold: 0.5, minArea: 4 });
  const s = subthresholdSummary(p, 64, 64, 64, found, { minArea: 4 });
  t.is(s.sub_counts, 0);
  t.true(Math.abs(s.sub_mass) < 1e-9);
});

const real = temImages().slice(0, 2);
(real.length ? test : test.skip)('the bundled U-Net hands a sub-threshold summary with its detections (real TEM images; skipped without ../shared/data/tem)', async (t) => {
  const det = await createDetector({ modelPath: DEFAULT_MODEL_PATH, providers: ['cpu'], warmup: false, dense: { tile: 512, margin: 32, maxObjectPx: 1, maxObjectNm: 0, subthreshold: true } }, silentLogger);
  try {
    for (const path of real) {
      const r = await det.detect(await frameFromFile(path));
      t.truthy(r.subthreshold, path);
      t.true(r.subthreshold!.sub_counts >= 0 && r.subthreshold!.sub_mass >= 0 && r.subthreshold!.sub_mass <= 1);
    }
  } finally { await det.close(); }
});
