import test from 'ava';
import { Tensor } from 'onnxruntime-node';
import { percentiles, percentileScale } from '../../agent/adapters/normalise.js';
import { createUnetAdapter, edgePad, padTo, unetParams, type UnetParams } from '../../agent/adapters/unet.js';
import { ModelError } from '../../agent/adapters/model-error.js';
import type { Frame } from '../../agent/types.js';

const PARAMS: UnetParams = { input: 'image', output: 'prob', stride: 16, threshold: 0.5, minArea: 1, splitDepth: 0, denoise: null, dequantise: null, despike: null, percentiles: [1, 99], objectPx: [3, 64] };

function frame(width: number, height: number, f: (x: number, y: number) => number, dtype: Frame['dtype'] = 'uint8'): Frame {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = f(x, y);
  return { width, height, data, dtype, min: 0, max: 0, mean: 0, pixelSize: null, format: 'test' };
}

test('percentiles use the nearest rank of the sorted values', (t) => {
  const data = Float32Array.from({ length: 101 }, (_, i) => 100 - i); // 100..0
  t.deepEqual(percentiles(data, [0, 1, 50, 99, 100]), [0, 1, 50, 99, 100]);
  t.deepEqual(percentiles(Float32Array.from([3, NaN, 1, 2]), [0, 100]), [1, 3]);
});

test('percentile scaling: 8-bit, 16-bit and float versions of one image scale identically', (t) => {
  const f8 = frame(40, 30, (x, y) => (x * 7 + y * 3) % 256);
  const f16 = frame(40, 30, (x, y) => f8.data[y * 40 + x]! * 257 + 11, 'uint16');
  const ff = frame(40, 30, (x, y) => f8.data[y * 40 + x]! / 255 - 0.3, 'float32');
  const a = percentileScale(f8.data, 1, 99);
  const b = percentileScale(f16.data, 1, 99);
  const c = percentileScale(ff.data, 1, 99);
  for (let i = 0; i < a.length; i++) {
    t.true(Math.abs(a[i]! - b[i]!) < 1e-5 && Math.abs(a[i]! - c[i]!) < 1e-5, `pixel ${i}`);
  }
  t.is(Math.min(...a), 0);
  t.is(Math.max(...a), 1);
});

test('a flat image does not divide by zero', (t) => {
  t.deepEqual([...percentileScale(new Float32Array(9).fill(42), 1, 99)], new Array(9).fill(0));
});

test('edge padding replicates the last column and row', (t) => {
  t.is(padTo(1000, 16), 1008);
  t.is(padTo(1024, 16), 1024);
  const out = edgePad(Float32Array.from([1, 2, 3, 4, 5, 6]), 3, 2, 4, 3);
  t.deepEqual([...out], [1, 2, 3, 3, 4, 5, 6, 6, 4, 5, 6, 6]);
});

test('preprocess pads to a multiple of the stride and scales to [0,1]', (t) => {
  const a = createUnetAdapter(PARAMS);
  const f = frame(20, 10, (x) => x * 10);
  const { feeds } = a.preprocess(f);
  const x = feeds.image!;
  t.deepEqual(x.dims, [1, 1, 16, 32]);
  const d = x.data as Float32Array;
  t.is(d[0], 0); // x=0 is at/below p1 -> 0
  t.is(d[19], 1); // x=19 is at p99 -> 1
  t.is(d[31], 1); // padding copies column 19
  t.is(d[15 * 32 + 5], d[5]); // padding rows copy row 9 (== row 0 here)
});

test('postprocess maps a hand-made probability map back to image pixels and ignores padding', (t) => {
  const a = createUnetAdapter(PARAMS);
  const f = frame(20, 10, () => 0);
  const prepared = a.preprocess(f);
  const prob = new Float32Array(16 * 32);
  const set = (x: number, y: number, v: number): void => { prob[y * 32 + x] = v; };
  set(3, 2, 0.9); set(4, 2, 0.8); set(3, 3, 0.7); // blob A, mean 0.8
  set(18, 8, 0.6); set(19, 9, 0.6);               // blob B at the image corner
  set(25, 3, 1); set(5, 12, 1);                   // in the padding: must be ignored
  const dets = a.postprocess({ prob: new Tensor('float32', prob, [1, 1, 16, 32]) }, prepared, f);
  t.deepEqual(dets.map((d) => d.box), [[3, 2, 5, 4], [18, 8, 20, 10]]);
  t.true(Math.abs(dets[0]!.score - 0.8) < 1e-6);
  t.deepEqual([...dets[0]!.mask!.data], [1, 1, 1, 0]);
});

test('postprocess rejects an output of the wrong shape with a ModelError', (t) => {
  const a = createUnetAdapter(PARAMS);
  const f = frame(20, 10, () => 0);
  const prepared = a.preprocess(f);
  t.throws(() => a.postprocess({ prob: new Tensor('float32', new Float32Array(16), [1, 1, 4, 4]) }, prepared, f),
    { instanceOf: ModelError, message: /should be float32 \[1,1,16,32\]/ });
});

test('parameters come from metadata, with defaults, and bad values are ModelErrors', (t) => {
  const base = { inputNames: ['image'], outputNames: ['prob'] };
  t.deepEqual(unetParams({ ...base, metadata: {} }), { input: 'image', output: 'prob', stride: 16, threshold: 0.5, minArea: 6, splitDepth: 0, denoise: null, dequantise: null, despike: null, percentiles: [1, 99], objectPx: [3, 64] });
  const p = unetParams({ ...base, metadata: { 'temguard.threshold': '0.3', 'temguard.split_depth': '0.25', 'temguard.normalisation': 'percentile:0.5,99.5', 'temguard.stride': '32', 'temguard.object_px': '4,100' } });
  t.deepEqual(p.objectPx, [4, 100]);
  t.is(p.threshold, 0.3);
  t.is(p.splitDepth, 0.25);
  t.is(p.stride, 32);
  t.deepEqual(p.percentiles, [0.5, 99.5]);
  t.throws(() => unetParams({ ...base, metadata: { 'temguard.threshold': 'high' } }), { instanceOf: ModelError, message: /threshold/ });
  t.throws(() => unetParams({ ...base, metadata: { 'temguard.normalisation': 'minmax' } }), { instanceOf: ModelError, message: /normalisation/ });
  t.throws(() => unetParams({ ...base, metadata: { 'temguard.object_px': '64' } }), { instanceOf: ModelError, message: /object_px/ });
  t.throws(() => unetParams({ ...base, metadata: { 'temguard.split_depth': '1.5' } }), { instanceOf: ModelError, message: /split_depth/ });
  t.throws(() => unetParams({ ...base, metadata: { 'temguard.dequantise': '32' } }), { instanceOf: ModelError, message: /dequantise/ });
  t.deepEqual(unetParams({ ...base, metadata: { 'temguard.dequantise': '32,1.5' } }).dequantise, { levels: 32, sigma: 1.5 });
  t.throws(() => unetParams({ inputNames: ['a', 'b'], outputNames: ['prob'], metadata: {} }), { instanceOf: ModelError });
});

test('percentiles of integer frames (histogram) equal those of the sort, on 8-bit, 16-bit and shifted data', (t) => {
  let s = 3;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (const [n, max] of [[1000, 255], [300000, 255], [1200000, 65535], [7, 3]] as const) {
    const ints = Float32Array.from({ length: n }, () => Math.floor(rnd() * rnd() * (max + 1)));
    const shifted = ints.map((v) => v + 0.25); // not integers: the sort path
    const qs = [0, 1, 50, 99, 100];
    t.deepEqual(percentiles(ints, qs).map((v) => v + 0.25), percentiles(shifted, qs));
  }
});
