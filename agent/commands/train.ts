/**
 * `temguard train --table TABLE.csv --out MODEL.json [--features a,b,...] [--trees 100]
 *  [--min-leaf 3] [--max-features 1] [--seed 1] [--repeats 2] [--level 0.9] [--name NAME]
 *  [--trained-on TEXT] [--detectors A.onnx,B.onnx]`: StandardScaler + random forests (F1, precision, recall) on the
 * feature set chosen by permutation-importance ranking and the top-5..18 sweep (select.ts),
 * unless --features fixes it. --detectors records the name and sha256 of the detector files
 * whose output the table holds (the agent can warn when its detector is another one).
 * Writes MODEL.json + MODEL.manifest.json, then loads them back
 * through the agent's own loader to prove the pair is usable.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { FEATURE_NAMES, type FeatureName } from '../types.js';
import { loadForest } from '../pipeline/forest.js';
import { DEFAULT_FOREST_OPTIONS, type ForestOptions } from '../learn/cart.js';
import { regressionMetrics } from '../learn/metrics.js';
import { writeModel } from '../learn/model-io.js';
import { selectFeatures, type Selection } from '../learn/select.js';
import { readTable } from '../learn/table.js';
import { trainModel, type Row } from '../learn/train.js';
import { commandProgress, numberFlag, parseFlags, requireFlag, stringFlag, UsageError, type Command } from './command.js';
import { forestOptionsFromFlags } from './options.js';

export const train: Command = async (argv, io) => {
  const { flags, positional } = parseFlags(argv, ['table', 'out', 'features', 'trees', 'min-leaf', 'max-features', 'seed', 'repeats', 'level', 'name', 'trained-on', 'detectors', 'quiet'], ['quiet']);
  if (positional.length) throw new UsageError(`unexpected argument "${positional[0]}"`);
  const tablePath = requireFlag(flags, 'table');
  const out = requireFlag(flags, 'out');
  const options: ForestOptions = forestOptionsFromFlags(flags);
  const level = numberFlag(flags, 'level', 0.9);
  const { rows } = await readTable(tablePath);
  const fixed = parseFeatureList(stringFlag(flags, 'features'), rows);
  const t0 = performance.now();
  // Steps (ranking, each top-k of the sweep) are seconds apart and each is worth a log line: everyMs 0.
  const progress = commandProgress(io, flags, { label: 'train', unit: 'steps', everyMs: 0 });
  let selection: Selection | undefined;
  let features: FeatureName[];
  if (fixed) features = fixed;
  else {
    selection = selectFeatures(rows, FEATURE_NAMES, { ...options, repeats: numberFlag(flags, 'repeats', 2), onProgress: (m) => progress.tick(1, m) });
    features = selection.chosen.features;
  }
  const { model, oob } = trainModel(rows, features, { ...options, level });
  progress.tick(1, 'final forest fitted');
  progress.done();
  const fitSeconds = (performance.now() - t0) / 1000;
  const manifest = await writeModel(out, model, {
    name: stringFlag(flags, 'name') ?? basename(out).replace(/\.json$/i, ''),
    hyperparameters: { ...DEFAULT_FOREST_OPTIONS, ...options, scaler: 'StandardScaler (population std)', algorithm: 'temguard CART random forest (agent/learn/cart.ts), one forest per target' },
    training: { ...(await trainingSummary(rows, tablePath, stringFlag(flags, 'trained-on'))), ...(await detectorRecord(stringFlag(flags, 'detectors'))) },
    metrics: { out_of_bag: oobMetrics(rows, oob), ...(selection ? { selection_cv_f1: selection.chosen.metrics } : {}) },
    ...(selection ? { selection: { method: 'permutation importance on 5 held-out folds, then top-k sweep (5-fold CV MAE of F1, smallest k within 1% of the best)', ranking: selection.ranking, sweep: selection.sweep.map((s) => ({ k: s.k, ...s.metrics })) } } : {}),
    fit_seconds: fitSeconds,
  });
  const forest = await loadForest(out, { threshold: 0.5 });
  io.stderr(`train: ${rows.length} rows, features [${features.join(', ')}], OOB F1 MAE ${(manifest.metrics as { out_of_bag: { f1: { mae: number } } }).out_of_bag.f1.mae.toFixed(4)}, interval ±${model.conformal!.q.toFixed(3)} at ${level}, ${fitSeconds.toFixed(1)} s -> ${out} (${forest.sha256.slice(0, 12)})`);
  return 0;
};

function parseFeatureList(v: string | undefined, rows: readonly Row[]): FeatureName[] | undefined {
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const f of list) {
    if (!(FEATURE_NAMES as readonly string[]).includes(f)) throw new UsageError(`--features: "${f}" is not one of the agent's features (${FEATURE_NAMES.join(', ')})`);
    if (rows[0] && !(f in rows[0].features)) throw new UsageError(`--features: the table has no "${f}" column`);
  }
  if (list.length === 0) throw new UsageError('--features is empty');
  return list as FeatureName[];
}

function oobMetrics(rows: readonly Row[], oob: Record<'f1' | 'precision' | 'recall', Float64Array>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const t of ['f1', 'precision', 'recall'] as const) {
    const keep = rows.flatMap((_, i) => (Number.isFinite(oob[t][i]!) ? [i] : []));
    out[t] = regressionMetrics(keep.map((i) => rows[i]![t]), keep.map((i) => oob[t][i]!));
  }
  return out;
}

async function detectorRecord(list: string | undefined): Promise<Record<string, unknown>> {
  if (!list) return {};
  const detectors = [];
  for (const file of list.split(',').map((f) => f.trim()).filter(Boolean)) {
    let bytes: Buffer;
    try { bytes = await readFile(file); }
    catch (e) { throw new UsageError(`--detectors: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
    detectors.push({ name: basename(file).replace(/\.onnx$/i, ''), sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  return { detectors };
}

async function trainingSummary(rows: readonly Row[], tablePath: string, trainedOn: string | undefined): Promise<Record<string, unknown>> {
  const groups: Record<string, { images: number; mean_f1: number }> = {};
  for (const r of rows) {
    const g = (groups[r.group] ??= { images: 0, mean_f1: 0 });
    g.images++; g.mean_f1 += r.f1;
  }
  for (const g of Object.values(groups)) g.mean_f1 /= g.images;
  const mean = (t: 'f1' | 'precision' | 'recall'): number => rows.reduce((s, r) => s + r[t], 0) / rows.length;
  return {
    table: basename(tablePath),
    table_sha256: createHash('sha256').update(await readFile(tablePath)).digest('hex'),
    images: rows.length, groups,
    mean_f1: mean('f1'), mean_precision: mean('precision'), mean_recall: mean('recall'),
    ...(trainedOn ? { data: trainedOn } : {}),
  };
}
