import test from 'ava';
import { render } from '../../agent/sim/render.js';
import { blurVarianceFactor, countsPerPixel, gaussianBlur, gaussianKernel } from '../../agent/sim/noise.js';
import { createRng } from '../../agent/sim/rng.js';
import { flatParams } from './helpers.js';

function meanVar(a: Float32Array): [number, number] {
  let m = 0;
  for (const v of a) m += v;
  m /= a.length;
  let s = 0;
  for (const v of a) s += (v - m) ** 2;
  return [m, s / a.length];
}

test('Poisson sampler: mean and variance equal the mean (small and large means)', (t) => {
  const rng = createRng(11);
  for (const mean of [0.5, 4, 25, 400]) {
    const xs = Float32Array.from({ length: 40000 }, () => rng.poisson(mean));
    const [m, v] = meanVar(xs);
    t.true(Math.abs(m / mean - 1) < 0.03, `mean ${m} for ${mean}`);
    t.true(Math.abs(v / mean - 1) < 0.06, `variance ${v} for ${mean}`);
  }
});

test('noise variance follows dose: relative variance = MTF factor / (electrons per pixel)', (t) => {
  const size = 128;
  const vars: number[] = [];
  for (const dose of [5, 20, 80]) {
    const p = flatParams(size, dose);
    const r = render(p, 3);
    // Divide by the noise-free image so the (tiny) thickness undulation does not count.
    const rel = r.image.map((v, i) => v / r.clean[i]!);
    const inner = new Float32Array((size - 8) ** 2);
    for (let y = 4, k = 0; y < size - 4; y++) for (let x = 4; x < size - 4; x++) inner[k++] = rel[y * size + x]!;
    const [, v] = meanVar(inner);
    const [mc] = meanVar(r.clean);
    const expected = blurVarianceFactor(p.mtfSigmaPx) / (countsPerPixel(dose, p.pixelNm) * mc);
    t.true(Math.abs(v / expected - 1) < 0.15, `dose ${dose}: variance ${v} expected ${expected}`);
    vars.push(v);
  }
  t.true(Math.abs(vars[0]! / vars[1]! - 4) < 0.6 && Math.abs(vars[1]! / vars[2]! - 4) < 0.6, `ratios ${vars[0]! / vars[1]!} ${vars[1]! / vars[2]!}`);
});

for (const sigma of [0.5, 0.9, 1.2]) test(`MTF blur (σ = ${sigma}) equals a direct 2-D convolution with reflecting edges`, (t) => {
  const w = 37, h = 23;
  const a = new Float32Array(w * h).map((_, i) => Math.sin(i * 1.7));
  const b = a.slice();
  gaussianBlur(b, w, h, sigma);
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const refl = (i: number, n: number): number => (i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i);
  let maxDiff = 0;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    let acc = 0;
    for (let j = -r; j <= r; j++) for (let i = -r; i <= r; i++) acc += k[j + r]! * k[i + r]! * a[refl(y + j, h) * w + refl(x + i, w)]!;
    maxDiff = Math.max(maxDiff, Math.abs(acc - b[y * w + x]!));
  }
  t.true(maxDiff < 1e-5, `max difference ${maxDiff}`);
});
