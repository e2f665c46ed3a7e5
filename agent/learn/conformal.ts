/**
 * Conformal intervals on predicted F1. With n calibration residuals |y - yhat| (out-of-bag
 * predictions, so no row judges a tree that saw it), the ceil((n+1) level)-th smallest
 * residual is a half-width q such that [yhat - q, yhat + q] covers a new exchangeable image
 * with probability >= level (split conformal; OOB residuals make it the cheap
 * jackknife-after-bootstrap variant, whose coverage evaluate.ts measures rather than assumes).
 */

export function conformalQuantile(residuals: readonly number[], level: number): number {
  if (!(level > 0 && level < 1)) throw new RangeError(`conformal level must be in (0,1), got ${level}`);
  if (residuals.length === 0) return 1;
  const s = [...residuals].sort((a, b) => a - b);
  const k = Math.ceil((s.length + 1) * level);
  return k > s.length ? 1 : s[k - 1]!;
}

/** Fraction of truths inside [pred - q, pred + q] (clipped to [0,1] like the agent). */
export function coverage(truth: ArrayLike<number>, pred: ArrayLike<number>, q: number): number {
  let inside = 0;
  for (let i = 0; i < truth.length; i++) {
    const lo = Math.max(0, pred[i]! - q);
    const hi = Math.min(1, pred[i]! + q);
    if (truth[i]! >= lo - 1e-12 && truth[i]! <= hi + 1e-12) inside++;
  }
  return truth.length ? inside / truth.length : NaN;
}
