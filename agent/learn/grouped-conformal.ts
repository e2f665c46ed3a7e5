/**
 * Conformal half-width calibrated under shift. The out-of-bag residuals of conformal.ts come
 * from trees that did not see the row but did see its group, so they are the residuals of
 * an exchangeable image; a new acquisition series or material is not exchangeable, and on
 * held-out groups those intervals cover less than promised (0.84 at 0.9 on the simulated
 * presets). Here each row's residual comes from a forest fitted without its whole group
 * (leave-one-group-out), so the quantile is the error the model makes on an unseen group.
 */
import type { FeatureName } from '../types.js';
import type { ConformalInfo, Target } from '../pipeline/forest.js';
import type { ForestOptions } from './cart.js';
import { conformalQuantile } from './conformal.js';
import { groupFolds } from './cv.js';
import { predictRows, trainForests, type Row } from './train.js';

export const GROUPED_CONFORMAL_METHOD = 'leave-one-group-out absolute residual (split-conformal quantile)';

/** Each row's |truth - prediction| from a forest that saw none of its group's rows. */
export function groupedResiduals(rows: readonly Row[], features: readonly FeatureName[], target: Target = 'f1', options: ForestOptions = {}): Float64Array {
  const folds = groupFolds(rows.map((r) => r.group));
  if (folds.length < 2) throw new RangeError(`grouped conformal needs at least 2 groups, got ${folds.length}`);
  const out = new Float64Array(rows.length);
  folds.forEach((fold, k) => {
    const held = new Set(fold.test);
    const test = fold.test.map((i) => rows[i]!);
    const { scaler, fitted } = trainForests(rows.filter((_, i) => !held.has(i)), features, [target], { ...options, seed: (options.seed ?? 1) + 7919 * k });
    const pred = predictRows(fitted[target]!.forest, test, features, scaler);
    fold.test.forEach((i, j) => { out[i] = Math.abs(rows[i]![target] - pred[j]!); });
  });
  return out;
}

/**
 * `unseen`: rows of groups the forest is not trained on (e.g. non-TEM pictures, which the image
 * domain handles); their residuals, from a forest fitted on all of `rows`, join the quantile, so
 * the interval keeps covering images that far from the training table.
 */
export function groupedConformal(rows: readonly Row[], features: readonly FeatureName[], level: number, options: ForestOptions = {}, unseen: readonly Row[] = []): ConformalInfo {
  const residuals = [...groupedResiduals(rows, features, 'f1', options), ...unseenResiduals(rows, unseen, features, options)];
  return { method: GROUPED_CONFORMAL_METHOD + (unseen.length ? ` + ${unseen.length} rows of groups never trained on` : ''), level, q: conformalQuantile(residuals, level) };
}

function unseenResiduals(rows: readonly Row[], unseen: readonly Row[], features: readonly FeatureName[], options: ForestOptions): number[] {
  if (unseen.length === 0) return [];
  const { scaler, fitted } = trainForests(rows, features, ['f1'], options);
  const pred = predictRows(fitted.f1!.forest, unseen, features, scaler);
  return unseen.map((r, j) => Math.abs(r.f1 - pred[j]!));
}
