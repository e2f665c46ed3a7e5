import test from 'ava';
import { componentsToDetections } from '../../agent/adapters/components.js';
import { splitTouching } from '../../agent/adapters/split.js';
import type { DenseSpec } from '../../agent/adapters/adapter.js';
import { detectDense } from '../../agent/pipeline/dense.js';
import type { Frame } from '../../agent/types.js';

const W = 120, H = 80;

/** A probability map: 0.9 inside any of the shapes, 0 elsewhere. */
function paint(...inside: ((x: number, y: number) => boolean)[]): Float32Array {
  const prob = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (inside.some((f) => f(x, y))) prob[y * W + x] = 0.9;
  return prob;
}

const disc = (cx: number, cy: number, r: number) => (x: number, y: number): boolean => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const split = (prob: Float32Array, depth = 0.25) =>
  splitTouching(componentsToDetections(prob, W, H, W, { threshold: 0.5, minArea: 10 }), prob, W, { depth, minArea: 10 });

test('two overlapping discs (a "peanut" component) come out as two detections, each with its own disc', (t) => {
  const prob = paint(disc(40, 40, 15), disc(64, 40, 15)); // centres 1.6 r apart: the neck is 0.6 of the width
  t.is(componentsToDetections(prob, W, H, W, { threshold: 0.5, minArea: 10 }).length, 1);
  const parts = split(prob);
  t.is(parts.length, 2);
  const centres = parts.map((d) => (d.box[0] + d.box[2]) / 2).sort((a, b) => a - b);
  t.true(Math.abs(centres[0]! - 37) < 4 && Math.abs(centres[1]! - 67) < 4, `part centres ${centres}`);
  const total = parts.reduce((n, d) => n + d.mask!.data.reduce((a, v) => a + v, 0), 0);
  t.is(total, [...prob].filter((v) => v > 0).length, 'every pixel goes to one part');
  for (const d of parts) t.true(Math.abs(d.score - 0.9) < 1e-6);
});

test('convex shapes stay whole: a disc, a hexagon, a 3:1 rectangle; so does a disc with a ragged bump', (t) => {
  const hexagon = (x: number, y: number): boolean => {
    const dx = Math.abs(x - 60), dy = Math.abs(y - 40);
    return dy <= 30 * Math.sin(Math.PI / 3) && dx * Math.sin(Math.PI / 3) + dy * 0.5 <= 30 * Math.sin(Math.PI / 3);
  };
  t.is(split(paint(disc(60, 40, 25))).length, 1);
  t.is(split(paint(hexagon)).length, 1);
  t.is(split(paint((x, y) => x >= 15 && x < 105 && y >= 25 && y < 55)).length, 1);
  t.is(split(paint(disc(60, 40, 20), disc(80, 40, 3))).length, 1, 'a 3 px bump on the rim is not an object');
});

test('a void seen as a thick-and-thin rim (a ring) stays one object: holes are filled first', (t) => {
  const ring = (x: number, y: number): boolean => {
    const r = Math.hypot(x - 60, y - 40);
    const width = x < 60 ? 10 : 3; // thick on the left, thin on the right: peaks along the ring
    return r <= 30 && r >= 30 - width;
  };
  t.is(split(paint(ring)).length, 1);
});

test('depth 0 never splits; parts under minArea are not made', (t) => {
  const peanut = paint(disc(40, 40, 15), disc(64, 40, 15));
  t.is(split(peanut, 0).length, 1);
  const tiny = paint(disc(40, 40, 2.2), disc(44, 40, 2.2)); // two 15 px dots touching: parts of < 10 px each would go
  const found = componentsToDetections(tiny, W, H, W, { threshold: 0.5, minArea: 10 });
  t.is(splitTouching(found, tiny, W, { depth: 0.25, minArea: 20 }).length, found.length);
});

test('the dense detect path cuts touching objects, with the pyramid on: a 30 px pair and a 100 px pair (larger than the model object size)', async (t) => {
  // An identity "network" (the frame / 255 is the map): what it finds is what was painted.
  const width = 512, height = 256;
  const data = new Float32Array(width * height);
  const shapes = [disc(100, 128, 15), disc(124, 128, 15), disc(300, 128, 50), disc(380, 128, 50)]; // 30 px pair, 100 px pair
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (shapes.some((f) => f(x, y))) data[y * width + x] = 230;
  const frame: Frame = { width, height, data, dtype: 'uint8', min: 0, max: 255, mean: 0, pixelSize: null, format: 'test' };
  const spec = (splitDepth: number): DenseSpec => ({
    input: 'x', output: 'y', stride: 16, threshold: 0.5, minArea: 10, splitDepth, denoise: null, dequantise: null, despike: null, objectPx: [3, 64], normaliser: () => ({ offset: 0, gain: 1 / 255 }),
  });
  const run = async (input: Float32Array, output: Float32Array): Promise<void> => { output.set(input); };
  const opts = { tile: 256, margin: 16, maxObjectPx: 128 };
  const joined = await detectDense(frame, spec(0), run, opts);
  const cut = await detectDense(frame, spec(0.25), run, opts);
  t.is(joined.levels, 2);
  t.is(joined.detections.length, 2, 'without the cut: one detection per pair');
  t.is(cut.detections.length, 4, 'with it: one per disc');
  const centres = cut.detections.map((d) => Math.round((d.box[0] + d.box[2]) / 2)).sort((a, b) => a - b);
  t.true([97, 127, 292, 388].every((c, i) => Math.abs(centres[i]! - c) <= 6), `centres ${centres}`);
});
