/**
 * Training the agent's model: StandardScaler on the chosen features, then one forest per
 * target (F1, precision, recall), plus the out-of-bag conformal half-width on F1. Returns
 * the model file the agent loads (pipeline/forest.ts); the `train` command adds the
 * manifest and writes both.
 */
import type { FeatureName } from '../types.js';
import { TARGETS, FOREST_FORMAT, FOREST_FORMAT_VERSION, type ForestModelFile, type Scaler, type Target } from '../pipeline/forest.js';
import { fitForest, type ForestOptions } from './cart.js';
import { encodeForest, predictFlat, type FlatForest } from '../pipeline/trees.js';
import { conformalQuantile } from './conformal.js';

/** One labelled image: its features and its true scores. */
export interface Row {
  image: string;
  group: string;
  features: Record<string, number>;
  f1: number;
  precision: number;
  recall: number;
}

/** StandardScaler as scikit-learn fits it: population std, scale 1 for a constant column. */
export function fitScaler(rows: readonly Row[], features: readonly FeatureName[]): Scaler {
  const mean: number[] = [];
  const scale: number[] = [];
  for (const f of features) {
    let s = 0;
    for (const r of rows) s += r.features[f]!;
    const m = s / rows.length;
    let v = 0;
    for (const r of rows) v += (r.features[f]! - m) ** 2;
    const sd = Math.sqrt(v / rows.length);
    mean.push(m);
    scale.push(sd > 1e-12 ? sd : 1);
  }
  return { mean, scale };
}

/** Scaled, float32, row-major design matrix (the forest compares in float32). */
export function designMatrix(rows: readonly Row[], features: readonly FeatureName[], scaler: Scaler): Float32Array {
  const d = features.length;
  const X = new Float32Array(rows.length * d);
  rows.forEach((r, i) => features.forEach((f, j) => { X[i * d + j] = (r.features[f]! - scaler.mean[j]!) / scaler.scale[j]!; }));
  return X;
}

export interface TrainedTarget {
  forest: FlatForest;
  oob: Float64Array;
}

/** Fits scaler + a forest for each requested target; same seed offsets per target. */
export function trainForests(rows: readonly Row[], features: readonly FeatureName[], targets: readonly Target[], options: ForestOptions = {}): { scaler: Scaler; fitted: Partial<Record<Target, TrainedTarget>> } {
  const scaler = fitScaler(rows, features);
  const X = designMatrix(rows, features, scaler);
  const fitted: Partial<Record<Target, TrainedTarget>> = {};
  targets.forEach((t, k) => {
    const y = Float64Array.from(rows, (r) => r[t]);
    fitted[t] = fitForest(X, y, features.length, { ...options, seed: (options.seed ?? 1) + 1000 * k });
  });
  return { scaler, fitted };
}

/** Predicts one target for rows with a fitted forest (for CV folds). */
export function predictRows(forest: FlatForest, rows: readonly Row[], features: readonly FeatureName[], scaler: Scaler): Float64Array {
  const X = designMatrix(rows, features, scaler);
  const d = features.length;
  return Float64Array.from(rows, (_, i) => predictFlat(forest, X.subarray(i * d, (i + 1) * d)));
}

/** The full model file: three forests, scaler, features and the OOB conformal width. */
export function trainModel(rows: readonly Row[], features: readonly FeatureName[], options: ForestOptions & { level?: number } = {}): { model: ForestModelFile; oob: Record<Target, Float64Array> } {
  if (rows.length < 10) throw new Error(`need at least 10 labelled images to train, got ${rows.length}`);
  const { scaler, fitted } = trainForests(rows, features, TARGETS, options);
  const level = options.level ?? 0.9;
  const oobF1 = fitted.f1!.oob;
  const residuals: number[] = [];
  rows.forEach((r, i) => { if (Number.isFinite(oobF1[i]!)) residuals.push(Math.abs(r.f1 - oobF1[i]!)); });
  const model: ForestModelFile = {
    format: FOREST_FORMAT,
    version: FOREST_FORMAT_VERSION,
    features: [...features],
    scaler,
    targets: { f1: encodeForest(fitted.f1!.forest), precision: encodeForest(fitted.precision!.forest), recall: encodeForest(fitted.recall!.forest) },
    conformal: { method: 'out-of-bag absolute residual (split-conformal quantile)', level, q: conformalQuantile(residuals, level) },
  };
  return { model, oob: { f1: oobF1, precision: fitted.precision!.oob, recall: fitted.recall!.oob } };
}
