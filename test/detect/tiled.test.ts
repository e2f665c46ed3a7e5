/**
 * The dense detect path: tile plans, stitching, agreement with whole-frame inference on real
 * images, the pyramid's merge, and stopping between windows.
 */
import test from 'ava';
import { join } from 'node:path';
import { detectDense } from '../../agent/pipeline/dense.js';
import { createDetector, DEFAULT_MODEL_PATH, type Detector } from '../../agent/pipeline/detect.js';
import { grown, largeForLevel, mergeLevels, pyramidLevels } from '../../agent/pipeline/scales.js';
import { planTiles } from '../../agent/pipeline/tiles.js';
import { boxIoU } from '../../agent/learn/match.js';
import { silentLogger } from '../../agent/log.js';
import type { DenseSpec } from '../../agent/adapters/adapter.js';
import type { Detection, Frame } from '../../agent/types.js';
import { HAS_TEM, SHARED_TEM } from '../helpers/data.js';
import { frameFromFile } from './frame.js';

function frame(width: number, height: number, f: (x: number, y: number) => number): Frame {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { width, height, data, dtype: 'uint8', min: 0, max: 255, mean: 0, pixelSize: null, format: 'test' };
}

test('tile plans: cores cover every pixel exactly once, all windows share one shape, margins kept inside the frame', (t) => {
  for (const [w, h, core, margin] of [[4096, 4096, 960, 32], [4008, 2672, 512, 32], [1000, 333, 256, 16], [700, 5000, 960, 48]] as const) {
    const plan = planTiles(w, h, core, margin, 16);
    t.is(plan.width % 16, 0);
    t.is(plan.height % 16, 0);
    const hits = new Uint8Array(w * h);
    for (const tile of plan.tiles) {
      t.true(tile.cx1 - tile.cx0 <= core + 2 * margin && tile.cy1 - tile.cy0 <= core + 2 * margin);
      t.true(tile.ix >= 0 && tile.iy >= 0 && tile.ix <= tile.cx0 && tile.iy <= tile.cy0);
      t.true(tile.cx1 <= tile.ix + plan.width && tile.cy1 <= tile.iy + plan.height);
      // context on each side that is not the frame's edge
      if (tile.cx0 > 0) t.true(tile.cx0 - tile.ix >= margin);
      if (tile.cx1 < w) t.true(tile.ix + plan.width - tile.cx1 >= margin);
      for (let y = tile.cy0; y < tile.cy1; y++) for (let x = tile.cx0; x < tile.cx1; x++) hits[y * w + x]!++;
    }
    t.true(hits.every((v) => v === 1), `${w}x${h}: every pixel in exactly one core`);
  }
  t.is(planTiles(1024, 1024, 960, 32, 16).tiles.length, 1, 'a frame that fits core + margins is one window');
  t.deepEqual(planTiles(1000, 1000, 960, 32, 16), { width: 1008, height: 1008, tiles: [{ ix: 0, iy: 0, cx0: 0, cy0: 0, cx1: 1000, cy1: 1000 }] });
});

/** A stand-in network that returns its input: the stitched map must then be the normalised frame itself. */
const identitySpec = (threshold: number): DenseSpec => ({
  input: 'x', output: 'y', stride: 16, threshold, minArea: 1, splitDepth: 0, denoise: null, dequantise: null, despike: null, objectPx: [3, 64],
  normaliser: () => ({ offset: 0, gain: 1 / 255 }),
});

test('stitching: with an identity network the windows rebuild the normalised frame exactly, blobs crossing seams stay whole', async (t) => {
  // Discs placed across the seams of a 3x3 plan; the identity map thresholded at 0.5 is the discs.
  const discs = [[250, 250, 30], [520, 300, 45], [300, 530, 12], [700, 700, 60]] as const;
  const f = frame(900, 800, (x, y) => (discs.some(([cx, cy, r]) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r) ? 230 : 20));
  let windows = 0;
  const run = async (input: Float32Array, output: Float32Array): Promise<void> => { windows++; output.set(input); };
  const r = await detectDense(f, identitySpec(0.5), run, { tile: 256, margin: 16, maxObjectPx: 1 });
  t.true(windows >= 9);
  t.is(r.levels, 1);
  t.is(r.detections.length, discs.length);
  for (const [cx, cy, rad] of discs) {
    const d = r.detections.find((e) => Math.abs((e.box[0] + e.box[2]) / 2 - cx - 0.5) <= 1 && Math.abs((e.box[1] + e.box[3]) / 2 - cy - 0.5) <= 1);
    t.truthy(d, `disc at ${cx},${cy}`);
    t.deepEqual(d!.box, [cx - rad, cy - rad, Math.min(900, cx + rad + 1), Math.min(800, cy + rad + 1)]);
    t.true(Math.abs(d!.score - 230 / 255) < 1e-6);
  }
});

test('a stop request is honoured between windows', async (t) => {
  const f = frame(1024, 1024, () => 100);
  const ac = new AbortController();
  let windows = 0;
  const run = async (input: Float32Array, output: Float32Array): Promise<void> => { if (++windows === 2) ac.abort(); output.set(input); };
  await t.throwsAsync(detectDense(f, identitySpec(0.5), run, { tile: 256, margin: 16, maxObjectPx: 1, signal: ac.signal }), { name: 'AbortError' });
  t.is(windows, 2);
});

const det = (x1: number, y1: number, x2: number, y2: number, score = 0.9): Detection => {
  const w = x2 - x1, h = y2 - y1;
  return { box: [x1, y1, x2, y2], score, label: 0, mask: { x0: x1, y0: y1, width: w, height: h, data: new Uint8Array(w * h).fill(1) } };
};

const halfDisc = (cx: number, cy: number, r: number, top: boolean): Detection => {
  const y1 = top ? cy - r : cy, h = r, w = 2 * r;
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if ((x - r + 0.5) ** 2 + (y1 + y - cy + 0.5) ** 2 <= r * r) data[y * w + x] = 1;
  return { box: [cx - r, y1, cx + r, y1 + h], score: 0.9, label: 0, mask: { x0: cx - r, y0: y1, width: w, height: h, data } };
};

test('merging levels: touching objects found one by one below stay apart; the two halves of one void do not', (t) => {
  const pair = [det(100, 100, 160, 160), det(160, 104, 216, 160)]; // two touching 60 px square voids at level 1
  const joined = det(98, 98, 218, 162); // the pair as one blob at level 4
  t.deepEqual(mergeLevels([{ factor: 1, detections: pair }, { factor: 4, detections: [joined] }], 64).map((d) => d.box), pair.map((d) => d.box));

  const halves = [halfDisc(300, 300, 40, true), halfDisc(300, 300, 40, false)]; // one 80 px void cut along its diameter
  const whole = det(260, 260, 340, 340);
  t.deepEqual(mergeLevels([{ factor: 1, detections: halves }, { factor: 4, detections: [whole] }], 64).map((d) => d.box), [[260, 260, 340, 340]]);

  const halfScale = [det(500, 500, 560, 560), det(560, 500, 620, 560)]; // a pair found at level 2, joined at level 4
  t.is(mergeLevels([{ factor: 1, detections: [] }, { factor: 2, detections: halfScale }, { factor: 4, detections: [det(498, 498, 622, 562)] }], 64).length, 2);
});

test('merging levels: a rim piece lying against a coarse void, mostly outside its coarse mask, is part of it', (t) => {
  const whole = det(96, 96, 400, 400); // a 300 px void at level 4, upscaled: its edge is 4 px coarse
  const rim = det(394, 200, 410, 230); // full scale's piece of its rim: 6 of its 16 columns inside the coarse mask
  t.deepEqual(mergeLevels([{ factor: 1, detections: [rim] }, { factor: 4, detections: [whole] }], 64).map((d) => d.box), [[96, 96, 400, 400]]);
  const apart = det(420, 200, 436, 230); // 20 px away: another object
  t.is(mergeLevels([{ factor: 1, detections: [apart] }, { factor: 4, detections: [whole] }], 64).length, 2);

  const g = grown(det(10, 10, 12, 12), 1);
  t.deepEqual(g.box, [9, 9, 13, 13]);
  t.deepEqual([...g.mask!.data], new Array(16).fill(1), 'a 2x2 mask grown by one pixel is a full 4x4 square');
  const dot = grown({ ...det(5, 5, 8, 8), mask: { x0: 5, y0: 5, width: 3, height: 3, data: Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 0, 0]) } }, 1);
  t.is(dot.mask!.data.reduce((s, v) => s + v, 0), 9, 'one pixel grows into its 3x3 neighbourhood');
});

test('pyramid levels follow the largest object and stop at small frames', (t) => {
  t.is(pyramidLevels(4096, 4096, 64, 64), 1);
  t.is(pyramidLevels(4096, 4096, 64, 400), 4); // 64 * 2^3 = 512 >= 400
  t.is(pyramidLevels(666, 666, 64, 400), 3); // 666 / 8 < 96: no fourth level
  t.is(pyramidLevels(256, 256, 64, 400), 2);
});

test('merging levels: a large object found whole at a coarse level replaces its full-scale fragments; a blob holding many small objects does not', (t) => {
  const fragments = [det(100, 100, 160, 140), det(100, 300, 150, 380), det(330, 120, 390, 200)]; // arcs of one 300 px void
  const small = [det(10, 10, 20, 20)];
  const whole = det(96, 96, 400, 400); // the same void at level 2, upscaled
  const merged = mergeLevels([{ factor: 1, detections: [...fragments, ...small] }, { factor: 4, detections: [whole] }], 64);
  t.deepEqual(merged.map((d) => d.box), [[10, 10, 20, 20], [96, 96, 400, 400]]);

  const bubbles = Array.from({ length: 10 }, (_, i) => det(500 + 20 * i, 500, 510 + 20 * i, 510));
  const blob = det(495, 495, 700, 515); // the cluster merged at level 1: the bubbles fill a quarter of it
  const kept = mergeLevels([{ factor: 1, detections: bubbles }, { factor: 2, detections: [blob] }], 64);
  t.is(kept.length, 10, 'the bubbles stay, the blob goes');

  const arcs = Array.from({ length: 9 }, (_, i) => det(110, 110 + 30 * i, 170, 113 + 30 * i)); // thin rim pieces, not round objects
  t.deepEqual(mergeLevels([{ factor: 1, detections: arcs }, { factor: 4, detections: [whole] }], 64).map((d) => d.box), [[96, 96, 400, 400]], 'nine arcs of a rim do not make it a cluster');

  const pieces = Array.from({ length: 12 }, (_, i) => { // compact pieces of a 300 px void's rim: round, but a tenth of it
    const a = (2 * Math.PI * i) / 12, x = Math.round(248 + 140 * Math.cos(a)), y = Math.round(248 + 140 * Math.sin(a));
    return det(x - 12, y - 12, x + 12, y + 12);
  });
  t.deepEqual(mergeLevels([{ factor: 1, detections: pieces }, { factor: 4, detections: [whole] }], 64).map((d) => d.box), [[96, 96, 400, 400]], 'twelve round pieces along a rim do not make it a cluster');

  const same = det(600, 600, 656, 656); // a 56 px cavity, in range at full scale and found again at level 1
  t.deepEqual(mergeLevels([{ factor: 1, detections: [same] }, { factor: 2, detections: [det(598, 598, 662, 662)] }], 64).map((d) => d.box), [[600, 600, 656, 656]]);
  t.false(largeForLevel(det(0, 0, 12, 12), 4, 64), 'a coarse level leaves the small objects to the finer ones');
  t.true(largeForLevel(det(0, 0, 12, 12), 1, 64) && largeForLevel(det(0, 0, 16, 16), 4, 64));
});

async function bundled(dense?: { tile: number; margin: number }): Promise<Detector> {
  return createDetector({ modelPath: DEFAULT_MODEL_PATH, providers: ['cpu'], warmup: false, ...(dense ? { dense: { ...dense, maxObjectPx: 1, maxObjectNm: 0 } } : {}) }, silentLogger);
}

/** Detections whose box keeps `gap` px away from every seam (core boundary). */
function awayFromSeams(ds: Detection[], seamsX: number[], seamsY: number[], gap: number): Detection[] {
  const near = (a: number, b: number, seams: number[]): boolean => seams.some((s) => a - gap < s && s < b + gap);
  return ds.filter((d) => !near(d.box[0], d.box[2], seamsX) && !near(d.box[1], d.box[3], seamsY));
}

const realImages = ['1 39K.png', '10 115K.png', '00302.png', '800H-H01-1_2016-02-27_0007.png'];
const realTest = HAS_TEM ? test : test.skip;
realTest('on real images, tiled and whole-frame inference agree away from seams (the same objects, one to one, boxes IoU >= 0.9)', async (t) => {
  const whole = await bundled();
  const tiled = await bundled({ tile: 320, margin: 64 });
  try {
    for (const name of realImages) {
      const f = await frameFromFile(join(SHARED_TEM, name));
      const plan = planTiles(f.width, f.height, 320, 64, 16);
      t.true(plan.tiles.length >= 4, `${name} is cut`);
      // The whole-frame input is edge-padded on the right and bottom to a multiple of 16, the
      // windows are not (they fit inside the frame): those borders count as seams too.
      const seamsX = [...new Set(plan.tiles.map((p) => p.cx0).filter((x) => x > 0)), f.width];
      const seamsY = [...new Set(plan.tiles.map((p) => p.cy0).filter((y) => y > 0)), f.height];
      const a = awayFromSeams((await whole.detect(f)).detections, seamsX, seamsY, 32);
      const b = awayFromSeams((await tiled.detect(f)).detections, seamsX, seamsY, 32);
      // Specks of 3-5 px at the threshold come and go with the last bits of the convolutions
      // (onnxruntime picks its kernels by input shape: a whole-frame run of another shape
      // flips them too); every object at least 6 px across must be in both, one to one.
      const solid = (ds: Detection[]): Detection[] => ds.filter((d) => d.box[2] - d.box[0] >= 6 && d.box[3] - d.box[1] >= 6);
      t.true(solid(a).length >= 2, `${name}: ${solid(a).length} detections to compare`);
      t.is(solid(b).length, solid(a).length, name);
      for (const d of solid(a)) t.true(Math.max(...b.map((e) => boxIoU(d.box, e.box))) >= 0.9, `${name}: whole-frame box ${d.box.join(',')}`);
      for (const d of solid(b)) t.true(Math.max(...a.map((e) => boxIoU(d.box, e.box))) >= 0.9, `${name}: tiled box ${d.box.join(',')}`);
    }
  } finally {
    await whole.close();
    await tiled.close();
  }
});
