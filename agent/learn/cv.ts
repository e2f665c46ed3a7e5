/**
 * Cross-validation folds and the loop that fits on the rest and predicts each fold: random
 * K-fold (repeated with different shuffles) and leave-one-group-out, as the paper's
 * random and grouped splits. Folds are lists of test row indices, so the scikit-learn
 * reference (models/recipes/forest/sklearn_reference.py) can use exactly the same ones.
 */
import type { FeatureName } from '../types.js';
import type { Target } from '../pipeline/forest.js';
import { rng, type ForestOptions } from './cart.js';
import { conformalQuantile } from './conformal.js';
import { regressionMetrics, meanMetrics, type Metrics } from './metrics.js';
import { predictRows, trainForests, type Row } from './train.js';

export interface Fold {
  name: string;
  test: number[];
}

/** `repeats` shuffles of the rows, each cut into k folds of (nearly) equal size. */
export function repeatedKFold(n: number, k: number, repeats: number, seed: number): Fold[] {
  if (n < k) throw new RangeError(`cannot cut ${n} rows into ${k} folds`);
  const random = rng(seed);
  const folds: Fold[] = [];
  for (let r = 0; r < repeats; r++) {
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) { const j = Math.floor(random() * (i + 1)); [idx[i], idx[j]] = [idx[j]!, idx[i]!]; }
    for (let f = 0; f < k; f++) folds.push({ name: `r${r}f${f}`, test: idx.filter((_, i) => i % k === f).sort((a, b) => a - b) });
  }
  return folds;
}

/** One fold per group: train on all other groups, test on this one. */
export function groupFolds(groups: readonly string[]): Fold[] {
  const names = [...new Set(groups)].sort();
  return names.map((g) => ({ name: g, test: groups.flatMap((x, i) => (x === g ? [i] : [])) }));
}

export interface FoldResult {
  fold: Fold;
  metrics: Metrics;
  truth: Float64Array;
  pred: Float64Array;
  /** Conformal half-width from the training rows' out-of-bag residuals (at `level`). */
  q: number;
}

/** Fits on everything outside each fold, predicts the fold; per-fold metrics and their mean. */
export function crossValidate(rows: readonly Row[], folds: readonly Fold[], features: readonly FeatureName[], target: Target, options: ForestOptions & { level?: number } = {}): { folds: FoldResult[]; mean: Metrics } {
  const results = folds.map((fold, k) => {
    const inTest = new Uint8Array(rows.length);
    for (const i of fold.test) inTest[i] = 1;
    const train = rows.filter((_, i) => !inTest[i]);
    const test = fold.test.map((i) => rows[i]!);
    const { scaler, fitted } = trainForests(train, features, [target], { ...options, seed: (options.seed ?? 1) + 7919 * k });
    const pred = predictRows(fitted[target]!.forest, test, features, scaler);
    const truth = Float64Array.from(test, (r) => r[target]);
    const oob = fitted[target]!.oob;
    const residuals = train.flatMap((r, i) => (Number.isFinite(oob[i]!) ? [Math.abs(r[target] - oob[i]!)] : []));
    return { fold, metrics: regressionMetrics(truth, pred), truth, pred, q: conformalQuantile(residuals, options.level ?? 0.9) };
  });
  return { folds: results, mean: meanMetrics(results.map((r) => r.metrics)) };
}
