import test from 'ava';
import { fft1, fft2, fft2T, ifft2T, transpose } from '../../agent/sim/fft.js';
import { createRng } from '../../agent/sim/rng.js';

function naiveDft(re: number[], im: number[]): [number[], number[]] {
  const n = re.length;
  const or: number[] = [], oi: number[] = [];
  for (let k = 0; k < n; k++) {
    let sr = 0, si = 0;
    for (let j = 0; j < n; j++) {
      const a = (-2 * Math.PI * k * j) / n;
      sr += re[j]! * Math.cos(a) - im[j]! * Math.sin(a);
      si += re[j]! * Math.sin(a) + im[j]! * Math.cos(a);
    }
    or.push(sr); oi.push(si);
  }
  return [or, oi];
}

test('1-D FFT equals a naive DFT and inverts', (t) => {
  const rng = createRng(3);
  for (const n of [1, 2, 8, 64]) {
    const re = Array.from({ length: n }, () => rng.normal());
    const im = Array.from({ length: n }, () => rng.normal());
    const [er, ei] = naiveDft(re, im);
    const r = Float64Array.from(re), i = Float64Array.from(im);
    fft1(r, i, n);
    for (let k = 0; k < n; k++) { t.true(Math.abs(r[k]! - er[k]!) < 1e-9); t.true(Math.abs(i[k]! - ei[k]!) < 1e-9); }
    fft1(r, i, n, 0, true);
    for (let k = 0; k < n; k++) t.true(Math.abs(r[k]! - re[k]!) < 1e-12);
  }
});

for (const n of [2, 8, 16, 32]) test(`2-D FFT (n=${n}) equals row-then-column naive DFTs; transposed pair round-trips`, (t) => {
  const rng = createRng(5);
  const re = new Float64Array(n * n).map(() => rng.normal()), im = new Float64Array(n * n).map(() => rng.normal());
  // Naive: DFT each row, then each column.
  const R = Array.from({ length: n }, (_, y) => naiveDft([...re.slice(y * n, y * n + n)], [...im.slice(y * n, y * n + n)]));
  const expRe = new Float64Array(n * n), expIm = new Float64Array(n * n);
  for (let x = 0; x < n; x++) {
    const [cr, ci] = naiveDft(R.map((r) => r[0][x]!), R.map((r) => r[1][x]!));
    for (let y = 0; y < n; y++) { expRe[y * n + x] = cr[y]!; expIm[y * n + x] = ci[y]!; }
  }
  const r = re.slice(), i = im.slice();
  fft2(r, i, n);
  for (let k = 0; k < n * n; k++) { t.true(Math.abs(r[k]! - expRe[k]!) < 1e-9); t.true(Math.abs(i[k]! - expIm[k]!) < 1e-9); }
  const r2 = re.slice(), i2 = im.slice();
  fft2T(r2, i2, n);
  transpose(r2, n);
  for (let k = 0; k < n * n; k++) t.true(Math.abs(r2[k]! - expRe[k]!) < 1e-9);
  transpose(r2, n);
  ifft2T(r2, i2, n);
  for (let k = 0; k < n * n; k++) { t.true(Math.abs(r2[k]! - re[k]!) < 1e-12); t.true(Math.abs(i2[k]! - im[k]!) < 1e-12); }
});

test('non-power-of-two sizes are refused with a clear error', (t) => {
  t.throws(() => fft1(new Float64Array(12), new Float64Array(12), 12), { message: /power of two/ });
});
