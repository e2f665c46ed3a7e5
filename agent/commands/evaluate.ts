/**
 * `temguard evaluate --table TABLE.csv --out DIR [--features a,b,...] [--repeats 10]
 *  [--sweep-repeats 1] [--trees 100] [--min-leaf 3] [--max-features 1] [--seed 1] [--level 0.9]
 *  [--python /usr/bin/python3|none] [--model DETECTOR.onnx] [--ood DIR] [--unlabelled DIR]
 *  [--forest MODEL.json] [--providers cpu] [--quiet]`:
 * the paper's protocol + baselines, conformal coverage and image-quality test (learn/evaluate.ts),
 * the scikit-learn reference on the same folds, and, with --ood/--unlabelled, predicted F1
 * on unlabelled directories (with --forest, else a forest fitted here on the whole table).
 * With --forest, the CV uses that model's features (the sweep still runs, for its figure).
 * Writes DIR/report.json, DIR/report.md, DIR/folds.json and SVG figures.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FEATURE_NAMES, type FeatureName } from '../types.js';
import { createForest, loadForest, type Forest } from '../pipeline/forest.js';
import type { ForestOptions } from '../learn/cart.js';
import { crossValidate } from '../learn/cv.js';
import { openDetectorDeps, parseProviders } from '../learn/detector-deps.js';
import { evaluateTable } from '../learn/evaluate.js';
import { predictDirectory } from '../learn/ood.js';
import { writeReport, type ReferenceCheck, type ReportExtras } from '../learn/report.js';
import { readTable } from '../learn/table.js';
import { trainModel, type Row } from '../learn/train.js';
import { commandProgress, numberFlag, parseFlags, requireFlag, stringFlag, UsageError, type Command } from './command.js';
import { forestOptionsFromFlags } from './options.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'models', 'recipes', 'forest', 'sklearn_reference.py');

export const evaluate: Command = async (argv, io) => {
  const { flags, positional } = parseFlags(argv, ['table', 'out', 'features', 'repeats', 'sweep-repeats', 'trees', 'min-leaf', 'max-features', 'seed', 'level', 'python', 'model', 'ood', 'unlabelled', 'forest', 'providers', 'quiet'], ['quiet']);
  if (positional.length) throw new UsageError(`unexpected argument "${positional[0]}"`);
  const tablePath = requireFlag(flags, 'table');
  const out = requireFlag(flags, 'out');
  const options: ForestOptions = forestOptionsFromFlags(flags);
  const { rows, featureColumns } = await readTable(tablePath);
  if (rows.length < 20) throw new UsageError(`${tablePath}: ${rows.length} rows; the protocol needs at least 20`);
  const missing = FEATURE_NAMES.filter((f) => !featureColumns.includes(f));
  if (missing.length) throw new UsageError(`${tablePath} lacks feature columns: ${missing.join(', ')}`);
  const given = stringFlag(flags, 'forest') ? await loadForest(stringFlag(flags, 'forest')!, { threshold: 0.5 }) : undefined;
  const fixed = (stringFlag(flags, 'features')?.split(',').map((s) => s.trim()) ?? given?.features) as FeatureName[] | undefined;
  for (const f of fixed ?? []) if (!(FEATURE_NAMES as readonly string[]).includes(f)) throw new UsageError(`--features: unknown feature "${f}"`);
  // Steps (sweep, CV per target, reference, OOD) are seconds apart and each is worth a log line: everyMs 0.
  const progress = commandProgress(io, flags, { label: 'evaluate', unit: 'steps', everyMs: 0 });
  const say = (m: string): void => progress.tick(1, m);

  const ev = evaluateTable(rows, {
    ...options, repeats: numberFlag(flags, 'repeats', 10), sweepRepeats: numberFlag(flags, 'sweep-repeats', 1), level: numberFlag(flags, 'level', 0.9),
    ...(fixed ? { features: fixed } : {}), quality: featureColumns.filter((c) => c.startsWith('q_')), onProgress: say,
  });
  const extras: ReportExtras = { table: tablePath, ...(given ? { model: { path: given.path, sha256: given.sha256 } } : {}), reference: referenceCheck(rows, ev.features, ev.folds.random.slice(0, 10), tablePath, options, stringFlag(flags, 'python') ?? '/usr/bin/python3', say) };

  const oodDir = stringFlag(flags, 'ood');
  const unlabelledDir = stringFlag(flags, 'unlabelled');
  if (oodDir || unlabelledDir) {
    const forest = given ?? fitForest(rows, ev.features, options);
    const { deps, close } = await openDetectorDeps({ model: stringFlag(flags, 'model'), confidence: 0.1, providers: parseProviders(stringFlag(flags, 'providers')) });
    try {
      if (oodDir) { extras.ood = await predictDirectory(oodDir, deps, forest); say(`OOD: ${extras.ood.below_0_5}/${extras.ood.images} below 0.5`); }
      if (unlabelledDir) extras.unlabelled = await predictDirectory(unlabelledDir, deps, forest);
    } finally {
      await close();
    }
  }
  await writeReport(out, ev, extras);
  progress.done();
  io.stderr(`evaluate: F1 random MAE ${ev.random.mae.toFixed(4)} R2 ${ev.random.r2.toFixed(3)}, grouped MAE ${ev.grouped.mae.toFixed(4)}; report in ${out}`);
  return 0;
};

/** Same folds, scikit-learn vs temguard: MAE ratio and wall time of the fits. */
function referenceCheck(rows: Row[], features: FeatureName[], folds: { name: string; test: number[] }[], tablePath: string, o: ForestOptions, python: string, say: (m: string) => void): ReferenceCheck {
  const t0 = performance.now();
  const ours = crossValidate(rows, folds, features, 'f1', o);
  const temguard = { mae: ours.mean.mae, wall_s: (performance.now() - t0) / 1000, folds: folds.length };
  if (python === 'none' || !existsSync(python)) return { temguard, note: `scikit-learn reference not run (${python} not available)` };
  const foldsPath = join(process.env.TMPDIR ?? '/tmp', `temguard-folds-${process.pid}.json`);
  writeFileSync(foldsPath, JSON.stringify(folds.map((f) => f.test)));
  const r = spawnSync(python, [SCRIPT, 'cv', tablePath, foldsPath, '--features', features.join(','), '--trees', String(o.nTrees), '--min-leaf', String(o.minSamplesLeaf), '--max-features', String(o.maxFeatures)], { encoding: 'utf8' });
  if (r.status !== 0) return { temguard, note: `scikit-learn reference failed: ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}` };
  const s = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const ratio = temguard.mae / s.mae;
  say(`reference: sklearn MAE ${s.mae.toFixed(4)} (${s.wall_s.toFixed(1)} s) vs temguard ${temguard.mae.toFixed(4)} (${temguard.wall_s.toFixed(1)} s)`);
  return { sklearn: s, temguard, mae_ratio: ratio, within_5pct: Math.abs(ratio - 1) <= 0.05 };
}

/** A forest fitted here on the whole table, for the unlabelled checks when none is given. */
function fitForest(rows: Row[], features: FeatureName[], o: ForestOptions): Forest {
  const { model } = trainModel(rows, features, o);
  const text = JSON.stringify(model);
  const sha = createHash('sha256').update(text).digest('hex');
  return createForest(model, { name: 'evaluate-fit', version: model.version, created: new Date().toISOString(), sha256: sha, features, scaler: model.scaler, targets: ['f1', 'precision', 'recall'] }, '(fitted in evaluate)', sha, 0.5);
}
