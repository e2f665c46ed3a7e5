/**
 * Isotonic regression by pool-adjacent-violators (PAV): the non-decreasing map
 * predicted F1 -> realized F1 that is closest (least squares) to the site's labels. Pure
 * functions, no state: the calibration module fits, measures and stores.
 *
 * Between knots the map is linear and outside them it is flat (as scikit-learn's
 * IsotonicRegression with out_of_bounds='clip' does), so a prediction beyond the labelled
 * range is never extrapolated.
 */

export interface IsotonicMap {
  /** Non-decreasing knots: each pooled block's first and last predicted F1. */
  x: number[];
  /** Non-decreasing fitted realized F1 at each x. */
  y: number[];
}

/** Fit on pairs (x = predicted, y = realized). Throws on empty or non-finite input. */
export function fitIsotonic(xs: readonly number[], ys: readonly number[]): IsotonicMap {
  if (xs.length !== ys.length) throw new RangeError(`isotonic fit: ${xs.length} predictions but ${ys.length} labels`);
  if (xs.length === 0) throw new RangeError('isotonic fit: no points');
  if (![...xs, ...ys].every(Number.isFinite)) throw new RangeError('isotonic fit: non-finite value');
  const order = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]! || ys[a]! - ys[b]!);
  // Equal x are one point first (their mean y), so the map is a function of x.
  const blocks: { x: number; y: number; w: number }[] = [];
  for (const i of order) {
    const last = blocks[blocks.length - 1];
    if (last && last.x === xs[i]) { last.y = (last.y * last.w + ys[i]!) / (last.w + 1); last.w++; }
    else blocks.push({ x: xs[i]!, y: ys[i]!, w: 1 });
  }
  // PAV: pool a block into its predecessor while it violates the order. A pooled block keeps
  // its first and last x, so the map is flat across the block and exact at every label.
  const out: { x0: number; x1: number; y: number; w: number }[] = [];
  for (const b of blocks) {
    out.push({ x0: b.x, x1: b.x, y: b.y, w: b.w });
    while (out.length > 1 && out[out.length - 2]!.y > out[out.length - 1]!.y) {
      const q = out.pop()!;
      const p = out[out.length - 1]!;
      p.y = (p.y * p.w + q.y * q.w) / (p.w + q.w);
      p.w += q.w;
      p.x1 = q.x1;
    }
  }
  const x: number[] = [];
  const y: number[] = [];
  for (const b of out) {
    x.push(b.x0); y.push(b.y);
    if (b.x1 > b.x0) { x.push(b.x1); y.push(b.y); }
  }
  return { x, y };
}

/** The map at x: linear between knots, flat outside. */
export function applyIsotonic(m: IsotonicMap, x: number): number {
  const n = m.x.length;
  if (x <= m.x[0]!) return m.y[0]!;
  if (x >= m.x[n - 1]!) return m.y[n - 1]!;
  let hi = 1;
  while (m.x[hi]! < x) hi++;
  const x0 = m.x[hi - 1]!, x1 = m.x[hi]!;
  const t = (x - x0) / (x1 - x0);
  return m.y[hi - 1]! + t * (m.y[hi]! - m.y[hi - 1]!);
}

/**
 * Leave-one-out mean absolute error before (the raw prediction) and after (the map fitted
 * on the other points): the measured effect of calibrating on held-out site labels.
 */
export function leaveOneOutMae(xs: readonly number[], ys: readonly number[]): { before: number; after: number } {
  if (xs.length < 2) throw new RangeError('leave-one-out needs at least 2 labels');
  let before = 0, after = 0;
  for (let i = 0; i < xs.length; i++) {
    const m = fitIsotonic(xs.filter((_, j) => j !== i), ys.filter((_, j) => j !== i));
    before += Math.abs(xs[i]! - ys[i]!);
    after += Math.abs(applyIsotonic(m, xs[i]!) - ys[i]!);
  }
  return { before: before / xs.length, after: after / xs.length };
}
