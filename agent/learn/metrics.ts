/**
 * Regression metrics of one test fold, as paper-method.md defines them: MAE, RMSE, R2,
 * NRMSE = RMSE / std(true values in the fold), NMAE = MAE / mean(true values in the fold).
 * Undefined ratios (a fold whose truths are all equal, or all 0) are NaN and skipped when
 * folds are averaged, rather than silently counted as 0 or infinity.
 */
export interface Metrics {
  mae: number;
  rmse: number;
  r2: number;
  nrmse: number;
  nmae: number;
}

export const METRIC_NAMES = ['mae', 'rmse', 'r2', 'nrmse', 'nmae'] as const;

export function regressionMetrics(truth: ArrayLike<number>, pred: ArrayLike<number>): Metrics {
  const n = truth.length;
  if (n === 0 || pred.length !== n) throw new RangeError(`metrics: need equal, non-empty arrays (got ${n} and ${pred.length})`);
  let ae = 0, se = 0, mean = 0;
  for (let i = 0; i < n; i++) { const e = pred[i]! - truth[i]!; ae += Math.abs(e); se += e * e; mean += truth[i]!; }
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (truth[i]! - mean) ** 2;
  const mae = ae / n;
  const rmse = Math.sqrt(se / n);
  const sd = Math.sqrt(ss / n);
  return {
    mae, rmse,
    r2: ss > 0 ? 1 - se / ss : NaN,
    nrmse: sd > 0 ? rmse / sd : NaN,
    nmae: mean > 0 ? mae / mean : NaN,
  };
}

/** Mean of each metric over folds, ignoring NaN (undefined) values. */
export function meanMetrics(folds: readonly Metrics[]): Metrics {
  const out = {} as Metrics;
  for (const k of METRIC_NAMES) {
    const v = folds.map((f) => f[k]).filter((x) => Number.isFinite(x));
    out[k] = v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
  }
  return out;
}
