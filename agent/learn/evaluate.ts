/**
 * The paper's evaluation protocol on one table, and the parts beyond it: feature ranking +
 * top-k sweep, random 5-fold CV repeated, leave-one-group-out CV, per-split rows (Table 2),
 * baselines on the same folds, conformal coverage, domain classification and the
 * image-quality feature test. Pure computation: report.ts renders it, the command does I/O.
 */
import type { FeatureName } from '../types.js';
import { TARGETS, type Target } from '../pipeline/forest.js';
import { BASELINES } from './baselines.js';
import type { ForestOptions } from './cart.js';
import { classifyAt, confusion, prCurve, type ClassMetrics } from './classify.js';
import { coverage } from './conformal.js';
import { crossValidate, groupFolds, repeatedKFold, type Fold, type FoldResult } from './cv.js';
import { meanMetrics, regressionMetrics, type Metrics } from './metrics.js';
import { selectFeatures, type Selection } from './select.js';
import type { Row } from './train.js';

export interface EvaluateOptions extends ForestOptions {
  repeats?: number;
  sweepRepeats?: number;
  level?: number;
  /** Use these features (e.g. the shipped model's) instead of the sweep's choice. */
  features?: FeatureName[];
  /** Skip the ranking + top-k sweep (then `features` is required). */
  noSweep?: boolean;
  /** Extra (non-agent) columns to test as additional features, e.g. q_snr. */
  quality?: string[];
  onProgress?: (msg: string) => void;
}

export interface SplitRow extends Metrics {
  name: string;
  n: number;
  mean_true: number;
  mean_pred: number;
}

export interface Evaluation {
  rows: number;
  groups: Record<string, number>;
  features: FeatureName[];
  selection?: Selection;
  random: Metrics & { folds: number; repeats: number; by_target: Record<Target, Metrics> };
  grouped: Metrics & { folds: number; by_target: Record<Target, Metrics> };
  splits: SplitRow[];
  split_means: { mae: number; r2: number; n: number };
  baselines: Record<string, { random: Metrics; grouped: Metrics }>;
  conformal: { level: number; random: { coverage: number; mean_half_width: number }; grouped: { coverage: number; mean_half_width: number; by_split: Array<{ name: string; coverage: number; half_width: number }> } };
  classification: { true_cut: number; average_precision: number; at_half: ClassMetrics; pr: Array<{ cut: number; precision: number; recall: number }>; thresholds: ClassMetrics[] };
  confusion: { bins: string[]; matrix: number[][] };
  quality?: { columns: string[]; without: Record<'f1' | 'recall', { random: Metrics; grouped: Metrics }>; with: Record<'f1' | 'recall', { random: Metrics; grouped: Metrics }>; kept: boolean; rule: string };
  /** Out-of-fold predictions (first repeat of random CV, and grouped CV) for the figures. */
  parity: { random: { truth: number[]; pred: number[] }; grouped: Array<{ name: string; truth: number[]; pred: number[] }> };
  folds: { random: Fold[]; grouped: Fold[] };
  timing_s: Record<string, number>;
}

function timed<T>(timing: Record<string, number>, key: string, fn: () => T): T {
  const t0 = performance.now();
  const v = fn();
  timing[key] = (performance.now() - t0) / 1000;
  return v;
}

export function evaluateTable(rows: readonly Row[], o: EvaluateOptions = {}): Evaluation {
  const timing: Record<string, number> = {};
  const say = o.onProgress ?? (() => {});
  const groups: Record<string, number> = {};
  for (const r of rows) groups[r.group] = (groups[r.group] ?? 0) + 1;
  const candidates = Object.keys(rows[0]!.features).filter((k) => !k.startsWith('q_')) as FeatureName[];
  if (o.noSweep && !o.features) throw new Error('evaluate: without the sweep, features must be given');
  const selection = o.noSweep ? undefined : timed(timing, 'selection', () => selectFeatures(rows, candidates, { ...o, repeats: o.sweepRepeats ?? 1, onProgress: say }));
  const features = o.features ?? selection!.chosen.features;
  say(`features: ${features.join(', ')}`);

  const randomFolds = repeatedKFold(rows.length, 5, o.repeats ?? 10, (o.seed ?? 1) + 11);
  const grouped = groupFolds(rows.map((r) => r.group));
  const level = o.level ?? 0.9;
  const rnd = {} as Record<Target, { folds: FoldResult[]; mean: Metrics }>;
  const grp = {} as Record<Target, { folds: FoldResult[]; mean: Metrics }>;
  timed(timing, 'random_cv', () => { for (const t of TARGETS) { rnd[t] = crossValidate(rows, randomFolds, features, t, { ...o, level }); say(`random CV ${t}: MAE ${rnd[t].mean.mae.toFixed(4)}`); } });
  const canGroup = grouped.length >= 2;
  timed(timing, 'grouped_cv', () => { for (const t of TARGETS) grp[t] = canGroup ? crossValidate(rows, grouped, features, t, { ...o, level }) : { folds: [], mean: nanMetrics() }; });
  say(`grouped CV f1: MAE ${grp.f1.mean.mae.toFixed(4)} over ${grouped.length} groups`);

  const splits: SplitRow[] = grp.f1.folds.map((f) => ({ name: f.fold.name, n: f.truth.length, ...f.metrics, mean_true: avg(f.truth), mean_pred: avg(f.pred) }));
  const splitMeans = splits.length >= 2 ? regressionMetrics(splits.map((s) => s.mean_true), splits.map((s) => s.mean_pred)) : nanMetrics();

  const baselines = timed(timing, 'baselines', () => Object.fromEntries(Object.entries(BASELINES).map(([name, fit]) => {
    const run = (folds: Fold[]): Metrics => meanMetrics(folds.map((fold) => {
      const inTest = new Set(fold.test);
      const predict = fit(rows.filter((_, i) => !inTest.has(i)), 'f1');
      const test = fold.test.map((i) => rows[i]!);
      return regressionMetrics(test.map((r) => r.f1), test.map(predict));
    }));
    return [name, { random: run(randomFolds), grouped: canGroup ? run(grouped) : nanMetrics() }];
  })));

  const firstRepeat = rnd.f1.folds.filter((f) => f.fold.name.startsWith('r0'));
  const oofTruth = firstRepeat.flatMap((f) => [...f.truth]);
  const oofPred = firstRepeat.flatMap((f) => [...f.pred]);
  const cov = (folds: FoldResult[]): { coverage: number; mean_half_width: number } => {
    const inside = folds.reduce((s, f) => s + coverage(f.truth, f.pred, f.q) * f.truth.length, 0);
    const n = folds.reduce((s, f) => s + f.truth.length, 0);
    return { coverage: inside / n, mean_half_width: avg(folds.map((f) => f.q)) };
  };
  const pr = prCurve(oofTruth, oofPred, 0.5);
  const quality = o.quality?.length ? timed(timing, 'quality', () => qualityTest(rows, features, o.quality!, randomFolds.slice(0, 10), grouped, o, say)) : undefined;
  const bins = ['0-0.2', '0.2-0.4', '0.4-0.6', '0.6-0.8', '0.8-1'];
  return {
    rows: rows.length, groups, features, ...(selection ? { selection } : {}),
    random: { ...rnd.f1.mean, folds: 5, repeats: o.repeats ?? 10, by_target: mapTargets((t) => rnd[t].mean) },
    grouped: { ...grp.f1.mean, folds: grouped.length, by_target: mapTargets((t) => grp[t].mean) },
    splits,
    split_means: { mae: splitMeans.mae, r2: splitMeans.r2, n: splits.length },
    baselines,
    conformal: { level, random: cov(rnd.f1.folds), grouped: { ...cov(grp.f1.folds), by_split: grp.f1.folds.map((f) => ({ name: f.fold.name, coverage: coverage(f.truth, f.pred, f.q), half_width: f.q })) } },
    classification: {
      true_cut: 0.5, average_precision: pr.averagePrecision, at_half: classifyAt(oofTruth, oofPred, 0.5, 0.5), pr: pr.points,
      thresholds: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9].map((t) => classifyAt(oofTruth, oofPred, t, t)),
    },
    confusion: { bins, matrix: confusion(oofTruth, oofPred, bins.length) },
    ...(quality ? { quality } : {}),
    parity: { random: { truth: oofTruth, pred: oofPred }, grouped: grp.f1.folds.map((f) => ({ name: f.fold.name, truth: [...f.truth], pred: [...f.pred] })) },
    folds: { random: randomFolds, grouped },
    timing_s: timing,
  };
}

/**
 * Do the q_* image-quality columns help? Same folds with and without them, for F1 and
 * recall; kept only when the grouped-split MAE of F1 or recall drops by >= 5% (relative)
 * and neither gets worse by more than 1%.
 */
function qualityTest(rows: readonly Row[], features: FeatureName[], extra: string[], random: Fold[], grouped: Fold[], o: ForestOptions, say: (m: string) => void): NonNullable<Evaluation['quality']> {
  const withCols = [...features, ...extra] as FeatureName[];
  const run = (feats: FeatureName[]): Record<'f1' | 'recall', { random: Metrics; grouped: Metrics }> => ({
    f1: { random: crossValidate(rows, random, feats, 'f1', o).mean, grouped: grouped.length >= 2 ? crossValidate(rows, grouped, feats, 'f1', o).mean : nanMetrics() },
    recall: { random: crossValidate(rows, random, feats, 'recall', o).mean, grouped: grouped.length >= 2 ? crossValidate(rows, grouped, feats, 'recall', o).mean : nanMetrics() },
  });
  const without = run(features);
  const withQ = run(withCols);
  const gain = (t: 'f1' | 'recall'): number => (without[t].grouped.mae - withQ[t].grouped.mae) / without[t].grouped.mae;
  const kept = (gain('f1') >= 0.05 || gain('recall') >= 0.05) && gain('f1') > -0.01 && gain('recall') > -0.01;
  say(`quality features: grouped MAE f1 ${without.f1.grouped.mae.toFixed(4)} -> ${withQ.f1.grouped.mae.toFixed(4)}, recall ${without.recall.grouped.mae.toFixed(4)} -> ${withQ.recall.grouped.mae.toFixed(4)}: ${kept ? 'keep' : 'drop'}`);
  return { columns: extra, without, with: withQ, kept, rule: 'kept when grouped-split MAE of F1 or recall drops >= 5% and neither rises > 1%' };
}

function mapTargets<T>(fn: (t: Target) => T): Record<Target, T> {
  return Object.fromEntries(TARGETS.map((t) => [t, fn(t)])) as Record<Target, T>;
}

function avg(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length ? s / xs.length : NaN;
}

function nanMetrics(): Metrics {
  return { mae: NaN, rmse: NaN, r2: NaN, nrmse: NaN, nmae: NaN };
}
