import test from 'ava';
import { grayLevels, parseDequantiseSpec } from '../../agent/adapters/dequantise.js';
import { denoiseFrame } from '../../agent/adapters/denoise.js';
import { ModelError } from '../../agent/adapters/model-error.js';
import { percentileRange } from '../../agent/adapters/normalise.js';
import { createRng } from '../../agent/sim/rng.js';

/** A smooth 8-bit-like ramp with noise, quantised to `levels` gray levels across 0..255 (levels 256: plain 8-bit). */
function ramp(width: number, height: number, levels: number, seed = 3): Float32Array {
  const r = createRng(seed), step = 255 / (levels - 1);
  const px = new Float32Array(width * height);
  for (let i = 0; i < px.length; i++) {
    const v = 40 + 170 * ((i % width) / width) + 6 * r.normal();
    px[i] = Math.min(255, Math.max(0, Math.round(Math.round(v / step) * step)));
  }
  return px;
}

test('temguard.dequantise parses "LEVELS,SIGMA" and refuses anything else, naming the key', (t) => {
  t.is(parseDequantiseSpec(undefined), null);
  t.deepEqual(parseDequantiseSpec('32,1.5'), { levels: 32, sigma: 1.5 });
  t.deepEqual(parseDequantiseSpec(' 8 , 2 '), { levels: 8, sigma: 2 });
  for (const bad of ['', '32', '1,1.5', '32.5,1', '32,0', '32,9', 'a,b', '32,1.5,2', '5000,1']) {
    const err = t.throws(() => parseDequantiseSpec(bad), { instanceOf: ModelError });
    t.true(err!.message.includes('temguard.dequantise'), bad);
  }
});

test('grayLevels counts the distinct values between the percentiles, up to the cap', (t) => {
  const px = ramp(400, 300, 7);
  const { offset, gain } = percentileRange(px, 1, 99);
  const n = grayLevels(px, offset, offset + 1 / gain, 32);
  t.true(n >= 4 && n <= 7, `${n} levels`);
  t.is(grayLevels(ramp(400, 300, 256), 0, 255, 32), 33, 'counting stops past the cap');
});

test('grayLevels: a float frame of continuous tone is never posterised; a few non-integers (despiked pixels) are passed over', (t) => {
  const cont = ramp(200, 100, 256).map((v, i) => v + (i % 7) * 0.1 + 0.05);
  t.is(grayLevels(cont, 0, 255, 32), Infinity);
  const few = ramp(200, 100, 5);
  for (let i = 0; i < 20; i++) few[i * 997] = 100.5;
  few[3] = NaN;
  t.true(grayLevels(few, 0, 255, 32) <= 5);
});

test('denoiseFrame smooths a posterised frame by the spec sigma and says so; a continuous-tone frame is left alone', (t) => {
  const w = 200, h = 150, spec = { levels: 32, sigma: 1.5 };
  const poster = ramp(w, h, 6);
  const scale = percentileRange(poster, 1, 99);
  const a = denoiseFrame({ data: poster, width: w, height: h }, scale, null, () => new Float32Array(w * h), spec);
  t.is(a.smoothing!.sigma, 1.5);
  t.true(a.smoothing!.grayLevels! <= 6);
  t.not(a.data, poster, 'smoothed into the buffer given');
  t.true(new Set(a.data).size > 100, 'the steps became slopes');
  const plain = ramp(w, h, 256);
  const b = denoiseFrame({ data: plain, width: w, height: h }, percentileRange(plain, 1, 99), null, () => new Float32Array(w * h), spec);
  t.is(b.data, plain, 'no copy');
  t.is(b.smoothing!.sigma, 0);
  t.is(b.smoothing!.grayLevels, undefined);
});

test('a posterised frame that is also noisier than the training gets the larger of the two Gaussians', (t) => {
  const w = 200, h = 150;
  const poster = ramp(w, h, 6);
  const scale = percentileRange(poster, 1, 99);
  const r = denoiseFrame({ data: poster, width: w, height: h }, scale, { above: 0.01, target: 0.005 }, () => new Float32Array(w * h), { levels: 32, sigma: 0.5 });
  t.true(r.smoothing!.noise > 0.01);
  t.true(r.smoothing!.sigma > 0.5, `sigma ${r.smoothing!.sigma}`);
  t.true(r.smoothing!.grayLevels! <= 6);
});
