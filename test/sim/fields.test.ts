import test from 'ava';
import { upsample, fractalNoise } from '../../agent/sim/fields.js';
import { createRng } from '../../agent/sim/rng.js';

test('upsample reproduces a linear ramp inside the field and clamps at the edges', (t) => {
  const m = 8, n = 32;
  const src = new Float32Array(m * m).map((_, i) => i % m); // ramp along x: value = column
  const out = upsample(src, m, n);
  for (let y = 0; y < n; y++) {
    for (let x = 2; x < n - 2; x++) t.true(Math.abs(out[y * n + x]! - ((x + 0.5) / 4 - 0.5)) < 1e-6);
    t.is(out[y * n], 0);
    t.is(out[y * n + n - 1], m - 1);
  }
});

test('fractal noise: zero-mean-ish, unit RMS within a factor, deterministic', (t) => {
  const a = fractalNoise(createRng(4), 64, 256, 128, 8);
  const b = fractalNoise(createRng(4), 64, 256, 128, 8);
  t.deepEqual(a, b);
  let s = 0, s2 = 0;
  for (const v of a) { s += v; s2 += v * v; }
  const rms = Math.sqrt(s2 / a.length);
  t.true(rms > 0.4 && rms < 2, `rms ${rms}`);
});
