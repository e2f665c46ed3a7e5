import test from 'ava';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadForest, ForestError, manifestPathFor } from '../../agent/pipeline/forest.js';
import { trainModel, trainForests, predictRows, type Row } from '../../agent/learn/train.js';
import { writeModel } from '../../agent/learn/model-io.js';
import { rng } from '../../agent/learn/cart.js';
import { zeroFeatures } from '../../agent/pipeline/features.js';
import type { FeatureName, Features } from '../../agent/types.js';

const FEATS: FeatureName[] = ['counts_0.9', 'counts', 'avg_conf', 'std_conf'];

/** Rows whose F1 depends on two features (one non-linearly), the other two are noise. */
function table(n: number, seed: number): Row[] {
  const r = rng(seed);
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const f = zeroFeatures() as Record<string, number>;
    f['counts_0.9'] = r();
    f.counts = Math.floor(r() * 80);
    f.avg_conf = r();
    f.std_conf = r() * 0.3;
    const f1 = Math.min(1, Math.max(0, 0.2 + 0.6 * f['counts_0.9']! + (f.counts! > 40 ? 0.15 : -0.1) + 0.05 * (r() - 0.5)));
    rows.push({ image: `img${i}`, group: i % 2 ? 'a' : 'b', features: f, f1, precision: Math.min(1, f1 + 0.1), recall: Math.max(0, f1 - 0.1) });
  }
  return rows;
}

const mae = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
};

test('the forest learns a function with known structure far better than the mean', (t) => {
  const train = table(400, 1);
  const testRows = table(200, 2);
  const { scaler, fitted } = trainForests(train, FEATS, ['f1'], { nTrees: 50 });
  const pred = predictRows(fitted.f1!.forest, testRows, FEATS, scaler);
  const truth = testRows.map((r) => r.f1);
  const mean = train.reduce((s, r) => s + r.f1, 0) / train.length;
  const err = mae(truth, pred);
  const base = mae(truth, truth.map(() => mean));
  t.true(err < 0.05, `MAE ${err}`);
  t.true(err < base / 4, `MAE ${err} vs mean-baseline ${base}`);
  // OOB predictions exist for almost every row and are honest (close to the test error).
  const oob = fitted.f1!.oob;
  const oobErr = mae(train.map((r) => r.f1), oob);
  t.true(Number.isFinite(oobErr) && oobErr < 0.06, `OOB MAE ${oobErr}`);
});

async function saved(dir: string): Promise<{ path: string; rows: Row[] }> {
  const rows = table(300, 3);
  const { model } = trainModel(rows, FEATS, { nTrees: 30 });
  const path = join(dir, 'forest-test.json');
  await writeModel(path, model, { name: 'forest-test' });
  return { path, rows };
}

test('round trip through JSON: identical predictions, clamped, with interval', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'forest-'));
  const rows = table(300, 3);
  const { model } = trainModel(rows, FEATS, { nTrees: 30 });
  const path = join(dir, 'm.json');
  await writeModel(path, model, { name: 'm' });
  const forest = await loadForest(path, { threshold: 0.5 });
  t.deepEqual([...forest.features], FEATS);
  const { scaler, fitted } = trainForests(rows, FEATS, ['f1'], { nTrees: 30 });
  const direct = predictRows(fitted.f1!.forest, rows, FEATS, scaler);
  rows.forEach((r, i) => {
    const p = forest.predict(r.features as Features);
    t.is(p.f1, Math.min(1, Math.max(0, direct[i]!)));
    t.true(p.precision >= 0 && p.precision <= 1 && p.recall >= 0 && p.recall <= 1);
    t.is(p.low, p.f1 < 0.5);
    t.truthy(p.interval);
    t.true(p.interval!.lo <= p.f1 && p.f1 <= p.interval!.hi && p.interval!.level === 0.9);
  });
});

test('refused: mismatched features, unknown features, edited file, missing manifest, missing input', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'forest-'));
  const { path, rows } = await saved(dir);
  const mpath = manifestPathFor(path);
  const manifest = JSON.parse(await readFile(mpath, 'utf8'));

  await writeFile(mpath, JSON.stringify({ ...manifest, features: ['counts', 'counts_0.9', 'avg_conf', 'std_conf'] }));
  await t.throwsAsync(loadForest(path, { threshold: 0.5 }), { instanceOf: ForestError, message: /does not match its manifest's/ });

  const model = JSON.parse(await readFile(path, 'utf8'));
  model.features[1] = 'snr';
  await writeModel(path, model, { name: 'bad' });
  await t.throwsAsync(loadForest(path, { threshold: 0.5 }), { instanceOf: ForestError, message: /does not compute: snr/ });

  await saved(dir);
  await writeFile(path, (await readFile(path, 'utf8')).replace('"version":1', '"version": 1'));
  await t.throwsAsync(loadForest(path, { threshold: 0.5 }), { instanceOf: ForestError, message: /sha256/ });

  await t.throwsAsync(loadForest(join(dir, 'nothing.json'), { threshold: 0.5 }), { instanceOf: ForestError, message: /cannot read forest model/ });

  await saved(dir);
  const forest = await loadForest(path, { threshold: 0.5 });
  const partial = { ...rows[0]!.features } as Record<string, number>;
  delete partial.counts;
  t.throws(() => forest.predict(partial as Features), { instanceOf: ForestError, message: /"counts" is missing/ });
});

test('same seed, same forest; a corrupt forest is refused with the node named', async (t) => {
  const rows = table(120, 4);
  const a = trainModel(rows, FEATS, { nTrees: 10, seed: 5 }).model;
  const b = trainModel(rows, FEATS, { nTrees: 10, seed: 5 }).model;
  t.deepEqual(a.targets, b.targets);
  t.notDeepEqual(a.targets.f1, trainModel(rows, FEATS, { nTrees: 10, seed: 6 }).model.targets.f1);
  const dir = await mkdtemp(join(tmpdir(), 'forest-'));
  const path = join(dir, 'c.json');
  const right = Buffer.from(a.targets.f1.right, 'base64');
  right.writeUInt16LE(65535, 0); // root's right child far outside the forest
  await writeModel(path, { ...a, targets: { ...a.targets, f1: { ...a.targets.f1, right: right.toString('base64') } } }, { name: 'c' });
  await t.throwsAsync(loadForest(path, { threshold: 0.5 }), { instanceOf: ForestError, message: /target "f1": forest node 0 points outside the forest/ });
});
