import test from 'ava';
import { rng } from '../../agent/learn/cart.js';
import { applyIsotonic, fitIsotonic, leaveOneOutMae } from '../../agent/labels/isotonic.js';

/** Independent reference: the isotonic fit at i is max over j<=i of min over k>=i of mean(y[j..k]). */
function minMaxReference(y: number[]): number[] {
  const mean = (j: number, k: number): number => y.slice(j, k + 1).reduce((s, v) => s + v, 0) / (k - j + 1);
  return y.map((_, i) => {
    let best = -Infinity;
    for (let j = 0; j <= i; j++) {
      let lo = Infinity;
      for (let k = i; k < y.length; k++) lo = Math.min(lo, mean(j, k));
      best = Math.max(best, lo);
    }
    return best;
  });
}

test('PAV pools the violators by hand: 1,3,2,4 -> 1,2.5,2.5,4', (t) => {
  const m = fitIsotonic([0.1, 0.2, 0.3, 0.4], [1, 3, 2, 4]);
  t.deepEqual([0.1, 0.2, 0.3, 0.4].map((x) => applyIsotonic(m, x)), [1, 2.5, 2.5, 4]);
  t.deepEqual(m.x, [0.1, 0.2, 0.3, 0.4]);
});

test('PAV matches the min-max formula on random data, and is non-decreasing', (t) => {
  const r = rng(7);
  for (let trial = 0; trial < 30; trial++) {
    const n = 3 + Math.floor(r() * 25);
    const xs = Array.from({ length: n }, (_, i) => i / n); // distinct, increasing
    const ys = xs.map((x) => x * 0.6 + r() * 0.5);
    const m = fitIsotonic(xs, ys);
    const ref = minMaxReference(ys);
    xs.forEach((x, i) => t.true(Math.abs(applyIsotonic(m, x) - ref[i]!) < 1e-9, `trial ${trial} point ${i}`));
    for (let i = 1; i < m.y.length; i++) t.true(m.y[i]! >= m.y[i - 1]!);
  }
});

test('equal predictions become one point; outside the knots the map is flat, between linear', (t) => {
  const m = fitIsotonic([0.5, 0.5, 0.2, 0.8], [0.2, 0.4, 0.1, 0.9]);
  t.true(Math.abs(applyIsotonic(m, 0.5) - 0.3) < 1e-12);
  t.is(applyIsotonic(m, 0), 0.1);
  t.is(applyIsotonic(m, 1), 0.9);
  t.true(Math.abs(applyIsotonic(m, 0.65) - 0.6) < 1e-12);
});

test('leave-one-out MAE: a biased forest is corrected on held-out labels', (t) => {
  const r = rng(3);
  const ys = Array.from({ length: 40 }, () => r());
  const xs = ys.map((y) => Math.min(1, y * 0.5 + 0.45)); // optimistic at low F1, monotone
  const { before, after } = leaveOneOutMae(xs, ys);
  t.true(before > 0.1, `before ${before}`);
  t.true(after < before / 2, `after ${after} before ${before}`);
});

test('bad input is a clear error', (t) => {
  t.throws(() => fitIsotonic([], []), { message: /no points/ });
  t.throws(() => fitIsotonic([0.1], [0.1, 0.2]), { message: /1 predictions but 2 labels/ });
  t.throws(() => fitIsotonic([NaN], [0.1]), { message: /non-finite/ });
  t.throws(() => leaveOneOutMae([0.1], [0.1]), { message: /at least 2/ });
});
