/**
 * The paper's feature selection: rank all features, retrain with the top k for k = 5..18,
 * keep the k with the lowest random-CV MAE of F1 (the paper found 8). Among ks within 1%
 * of the best MAE the smallest wins: fewer features, same error, less to go wrong under shift.
 */
import type { FeatureName } from '../types.js';
import type { ForestOptions } from './cart.js';
import { crossValidate, repeatedKFold } from './cv.js';
import { permutationImportance, type Importance } from './importance.js';
import type { Metrics } from './metrics.js';
import type { Row } from './train.js';

export interface SweepPoint {
  k: number;
  features: FeatureName[];
  metrics: Metrics;
}

export interface Selection {
  ranking: Importance[];
  sweep: SweepPoint[];
  chosen: SweepPoint;
}

export function selectFeatures(rows: readonly Row[], candidates: readonly FeatureName[], options: ForestOptions & { repeats?: number; minK?: number; onProgress?: (msg: string) => void } = {}): Selection {
  const ranking = permutationImportance(rows, candidates, 'f1', options);
  options.onProgress?.(`ranking: ${ranking.map((r) => r.feature).join(', ')}`);
  const folds = repeatedKFold(rows.length, 5, options.repeats ?? 2, (options.seed ?? 1) + 3);
  const sweep: SweepPoint[] = [];
  for (let k = Math.min(options.minK ?? 5, candidates.length); k <= candidates.length; k++) {
    const features = ranking.slice(0, k).map((r) => r.feature);
    const { mean } = crossValidate(rows, folds, features, 'f1', options);
    sweep.push({ k, features, metrics: mean });
    options.onProgress?.(`top ${k}: MAE ${mean.mae.toFixed(4)}`);
  }
  const best = Math.min(...sweep.map((s) => s.metrics.mae));
  const chosen = sweep.find((s) => s.metrics.mae <= best * 1.01)!;
  return { ranking, sweep, chosen };
}
