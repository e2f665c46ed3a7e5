import test from 'ava';
import { radialPowerSpectrum, histogram8, spectralSlope, centreCrop } from '../../agent/sim/stats.js';
import { gaussianBlur } from '../../agent/sim/noise.js';
import { createRng } from '../../agent/sim/rng.js';

test('RAPS: white noise is flat, blurred noise falls at high frequency', (t) => {
  const n = 128, rng = createRng(1);
  const white = new Float32Array(n * n).map(() => rng.normal());
  const rw = radialPowerSpectrum(centreCrop(white, n, n, n), n);
  t.true(Math.abs(spectralSlope(rw, 0.05, 0.45)) < 0.15, `white slope ${spectralSlope(rw, 0.05, 0.45)}`);
  const blurred = white.slice();
  gaussianBlur(blurred, n, n, 2);
  const rb = radialPowerSpectrum(centreCrop(blurred, n, n, n), n);
  t.true(spectralSlope(rb, 0.1, 0.45) < -2);
});

test('histogram moments of a known distribution', (t) => {
  const img = new Uint8Array(1000).map((_, i) => (i < 500 ? 100 : 200));
  const { hist, moments } = histogram8(img);
  t.is(hist[100], 0.5);
  t.is(moments.mean, 150);
  t.is(moments.sd, 50);
  t.is(moments.skew, 0);
  t.is(moments.p1, 100);
  t.is(moments.p99, 200);
});
