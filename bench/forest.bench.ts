/**
 * Forest training and prediction: temguard's own CART forest vs ml-random-forest vs
 * scikit-learn (Debian /usr/bin/python3), on the same table in the same run.
 * Table: $FOREST_TABLE, else docs/forest/table.csv (the shipped model's training data) when
 * present, else 1000 generated rows x 18 features with a known structure.
 * Reports fit time for the three targets (F1, precision, recall; 100 trees each), model
 * size, and predict time per image (all three targets, one image at a time).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RandomForestRegression } from 'ml-random-forest';
import { rng } from '../agent/learn/cart.js';
import { trainModel, type Row } from '../agent/learn/train.js';
import { crossValidate, repeatedKFold } from '../agent/learn/cv.js';
import { readTable, writeTable } from '../agent/learn/table.js';
import { createForest } from '../agent/pipeline/forest.js';
import { FEATURE_NAMES, type FeatureName, type Features } from '../agent/types.js';

const PY = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, '..', 'models', 'recipes', 'forest', 'sklearn_reference.py');

function generated(n: number): Row[] {
  const r = rng(7);
  return Array.from({ length: n }, (_, i) => {
    const f = Object.fromEntries(FEATURE_NAMES.map((k) => [k, r()])) as Record<string, number>;
    const f1 = Math.min(1, Math.max(0, 0.3 + 0.5 * f['counts_0.9']! * f.avg_conf! + 0.2 * Math.sin(6 * f.area_ratio!) + 0.1 * (r() - 0.5)));
    return { image: `g${i}`, group: 'g', features: f, f1, precision: Math.min(1, f1 + 0.05 * r()), recall: Math.max(0, f1 - 0.05 * r()) };
  });
}

async function table(): Promise<{ rows: Row[]; source: string; path: string }> {
  const candidate = process.env.FOREST_TABLE ?? join(import.meta.dirname, '..', 'docs', 'forest', 'table.csv');
  if (existsSync(candidate)) return { rows: (await readTable(candidate)).rows, source: candidate, path: candidate };
  const rows = generated(1000);
  const path = join(mkdtempSync(join(tmpdir(), 'forest-bench-')), 'table.csv');
  await writeTable(path, rows);
  return { rows, source: 'generated (1000 rows, known structure)', path };
}

function timeIt<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const v = fn();
  return [v, performance.now() - t0];
}

function predictUs(predictOne: (i: number) => void, n: number): number {
  for (let i = 0; i < 200; i++) predictOne(i % n);
  const reps = 5000;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) predictOne(i % n);
  return ((performance.now() - t0) / reps) * 1000;
}

const { rows, source, path } = await table();
const results: Array<{ name: string; d: number; fitS: number; bytes: number; predictUs: number; note?: string }> = [];
for (const d of [8, 18]) {
  const feats = FEATURE_NAMES.slice(0, 0).concat(d === 8
    ? ['counts_0.9', 'counts', 'area_ratio', 'image_confidence', 'avg_conf', 'avg_size', 'std_conf', 'std_size']
    : [...FEATURE_NAMES]) as FeatureName[];

  const [trained, fitMs] = timeIt(() => trainModel(rows, feats, { nTrees: 100 }));
  const json = JSON.stringify(trained.model);
  const forest = createForest(trained.model, { name: 'bench', version: 1, created: '', sha256: '', features: feats, scaler: trained.model.scaler, targets: ['f1', 'precision', 'recall'] }, 'bench', '', 0.5);
  results.push({ name: 'temguard CART', d, fitS: fitMs / 1000, bytes: json.length, predictUs: predictUs((i) => forest.predict(rows[i]!.features as Features), rows.length) });

  const X = rows.map((r) => feats.map((f) => r.features[f]!));
  // ml-random-forest takes minutes for the full 3 x 100 trees on 2 shared cores: fit 1 target x
  // ML_TREES trees and scale time, size and predict cost linearly to 3 x 100 (all are per tree).
  const ML_TREES = 10;
  const scale = 300 / ML_TREES;
  const [ml, mlMs] = timeIt(() => {
    const m = new RandomForestRegression({ nEstimators: ML_TREES, maxFeatures: 1.0, replacement: true, useSampleBagging: true, seed: 3, noOOB: true });
    m.train(X, rows.map((r) => r.f1));
    return m;
  });
  const mlBytes = JSON.stringify(ml.toJSON()).length * scale;
  results.push({ name: 'ml-random-forest 2.1', d, fitS: (mlMs / 1000) * scale, bytes: mlBytes, predictUs: predictUs((i) => ml.predict([X[i]!]), rows.length) * scale, note: `measured ${ML_TREES} trees x 1 target, scaled x${scale}` });

  const py = spawnSync(PY, [SCRIPT, 'bench', path, '--features', feats.join(','), '--trees', '100', '--min-leaf', '3'], { encoding: 'utf8' });
  if (py.status === 0) {
    const s = JSON.parse(py.stdout.trim().split('\n').pop()!);
    results.push({ name: 'scikit-learn (python3)', d, fitS: s.fit_s, bytes: s.pickle_bytes, predictUs: s.predict_single_ms * 1000, note: `batched ${(s.predict_batch_ms * 1000).toFixed(1)} µs/img` });
  } else {
    results.push({ name: 'scikit-learn (python3)', d, fitS: NaN, bytes: NaN, predictUs: NaN, note: `unavailable: ${(py.stderr || py.error?.message || '').split('\n').filter(Boolean).pop()}` });
  }
}

// The protocol's core, side by side: 5-fold CV repeated twice (10 fits of F1) on the same folds.
const protoFeats = ['counts_0.9', 'counts', 'area_ratio', 'image_confidence', 'avg_conf', 'avg_size', 'std_conf', 'std_size'] as FeatureName[];
const folds = repeatedKFold(rows.length, 5, 2, 5);
const foldsPath = join(mkdtempSync(join(tmpdir(), 'forest-folds-')), 'folds.json');
writeFileSync(foldsPath, JSON.stringify(folds.map((f) => f.test)));
const [cv, cvMs] = timeIt(() => crossValidate(rows, folds, protoFeats, 'f1', { nTrees: 100 }));
const pyCv = spawnSync(PY, [SCRIPT, 'cv', path, foldsPath, '--features', protoFeats.join(','), '--trees', '100', '--min-leaf', '3'], { encoding: 'utf8' });
const skCv = pyCv.status === 0 ? JSON.parse(pyCv.stdout.trim().split('\n').pop()!) : undefined;

console.log(`table: ${source}, ${rows.length} rows; 3 targets x 100 trees; min_samples_leaf 3 (temguard, sklearn), max_features all`);
console.log('| forest | features | fit (s) | vs sklearn | model bytes | predict µs/image (3 targets) | vs sklearn | note |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const ref = results.find((x) => x.d === r.d && x.name.startsWith('scikit'))!;
  console.log(`| ${r.name} | ${r.d} | ${r.fitS.toFixed(3)} | ${(r.fitS / ref.fitS).toFixed(2)}x | ${r.bytes} | ${r.predictUs.toFixed(2)} | ${(r.predictUs / ref.predictUs).toFixed(4)}x | ${r.note ?? ''} |`);
}
console.log('');
console.log('| 5-fold CV x2 (10 fits, F1, 8 features) | wall (s) | MAE |');
console.log('|---|---|---|');
console.log(`| temguard | ${(cvMs / 1000).toFixed(2)} | ${cv.mean.mae.toFixed(4)} |`);
console.log(skCv ? `| scikit-learn | ${skCv.wall_s.toFixed(2)} | ${skCv.mae.toFixed(4)} |` : '| scikit-learn | unavailable | |');
if (skCv) console.log(`time ratio temguard/sklearn ${(cvMs / 1000 / skCv.wall_s).toFixed(2)}x, MAE ratio ${(cv.mean.mae / skCv.mae).toFixed(3)}`);
