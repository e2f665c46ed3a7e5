import test from 'ava';
import { blurSigmaFor, denoiseFrame, frameNoise, gaussianBlur, parseDenoiseSpec } from '../../agent/adapters/denoise.js';
import { ModelError } from '../../agent/adapters/model-error.js';
import { createRng } from '../../agent/sim/rng.js';

/** A flat 8-bit-like frame of level 100 plus white Gaussian noise of `sd` counts. */
function noisy(width: number, height: number, sd: number, seed = 7): Float32Array {
  const r = createRng(seed);
  const px = new Float32Array(width * height);
  for (let i = 0; i < px.length; i++) px[i] = 100 + sd * r.normal();
  return px;
}

function std(px: Float32Array): number {
  let m = 0;
  for (const v of px) m += v;
  m /= px.length;
  let s = 0;
  for (const v of px) s += (v - m) ** 2;
  return Math.sqrt(s / px.length);
}

test('temguard.denoise parses "ABOVE,TARGET" and refuses anything else, naming the key', (t) => {
  t.is(parseDenoiseSpec(undefined), null);
  t.deepEqual(parseDenoiseSpec('0.1,0.05'), { above: 0.1, target: 0.05 });
  t.deepEqual(parseDenoiseSpec(' 0.12 , 0.06 '), { above: 0.12, target: 0.06 });
  for (const bad of ['', '0.1', '0.05,0.1', '0.1,0', 'a,b', '1.5,0.1', '0.1,0.05,0.02']) {
    const err = t.throws(() => parseDenoiseSpec(bad), { instanceOf: ModelError });
    t.true(err!.message.includes('temguard.denoise'), bad);
  }
});

test('the chosen Gaussian scales white noise by the ratio asked for', (t) => {
  const w = 256, h = 256, src = noisy(w, h, 20);
  for (const ratio of [0.6, 0.4, 0.25]) {
    const s = blurSigmaFor(ratio);
    const out = gaussianBlur(src, w, h, s, new Float32Array(w * h));
    t.true(Math.abs(std(out) / std(src) - ratio) < 0.03, `ratio ${ratio}: got ${(std(out) / std(src)).toFixed(3)} with sigma ${s.toFixed(2)}`);
  }
  t.true(blurSigmaFor(0.25) > blurSigmaFor(0.6));
});

test('the blur keeps a constant frame constant and the mean of any frame, edges included', (t) => {
  const w = 40, h = 30;
  const flat = new Float32Array(w * h).fill(57);
  const out = gaussianBlur(flat, w, h, 1.5, new Float32Array(w * h));
  t.true(out.every((v) => Math.abs(v - 57) < 1e-4));
  const ramp = Float32Array.from({ length: w * h }, (_, i) => i % w);
  const r = gaussianBlur(ramp, w, h, 1, new Float32Array(w * h));
  t.true(Math.abs(r[15 * w + 20]! - 20) < 1e-3, 'a linear ramp is unchanged away from the edges');
  t.true(r[15 * w]! > 0 && r[15 * w]! < 1, 'at the left edge the replicated column pulls the value up only a little');
});

test('frameNoise reads the white-noise std in the model input units (raw x gain)', (t) => {
  const w = 300, h = 200, px = noisy(w, h, 10);
  const sigma = frameNoise(px, w, h, 1 / 200);
  t.true(Math.abs(sigma - 10 / 200) < 0.004, `got ${sigma}`);
  t.is(frameNoise(new Float32Array(4), 2, 2, 1), 0);
});

test('a frame at or below ABOVE is untouched (the same array); a noisier one is smoothed to TARGET', (t) => {
  const w = 256, h = 256, gain = 1 / 200;
  const spec = { above: 0.1, target: 0.05 };
  const clean = noisy(w, h, 12); // sigma 0.06 in input units
  const kept = denoiseFrame({ data: clean, width: w, height: h }, { offset: 0, gain }, spec, () => new Float32Array(w * h));
  t.is(kept.data, clean);
  t.is(kept.smoothing!.sigma, 0);
  t.true(Math.abs(kept.smoothing!.noise - 0.06) < 0.005);

  const loud = noisy(w, h, 40); // sigma 0.2
  const done = denoiseFrame({ data: loud, width: w, height: h }, { offset: 0, gain }, spec, () => new Float32Array(w * h));
  t.not(done.data, loud);
  t.true(done.smoothing!.sigma > 0.5);
  t.true(Math.abs(std(done.data) * gain - 0.05) < 0.005, `after: ${(std(done.data) * gain).toFixed(4)}`);
  t.deepEqual(Object.keys(denoiseFrame({ data: loud, width: w, height: h }, { offset: 0, gain }, null, () => new Float32Array(0))), ['data'], 'no spec: nothing measured');
});

test('a NaN pixel in a float frame neither spoils the noise estimate nor spreads through the blur', (t) => {
  const w = 128, h = 128, gain = 1 / 200;
  const px = noisy(w, h, 40);
  px[64 * w + 64] = NaN;
  px[10 * w + 100] = Infinity;
  const done = denoiseFrame({ data: px, width: w, height: h }, { offset: 100, gain }, { above: 0.1, target: 0.05 }, () => new Float32Array(w * h));
  t.true(Math.abs(done.smoothing!.noise - 0.2) < 0.02, `noise ${done.smoothing!.noise}`);
  t.true(done.data.every((v) => Number.isFinite(v)), 'every smoothed pixel is finite');
});
