import test from 'ava';
import { groupedConformal, groupedResiduals, GROUPED_CONFORMAL_METHOD } from '../../agent/learn/grouped-conformal.js';
import { trainModel, type Row } from '../../agent/learn/train.js';
import { readTable } from '../../agent/learn/table.js';
import { coverage } from '../../agent/learn/conformal.js';
import { groupFolds } from '../../agent/learn/cv.js';
import { predictRows, trainForests } from '../../agent/learn/train.js';
import type { FeatureName } from '../../agent/types.js';

const FEATS: FeatureName[] = ['counts_0.9', 'avg_conf', 'avg_shape', 'counts', 'avg_size'];

test('on unseen groups the grouped half-width covers at least as much as the out-of-bag one', async (t) => {
  const { rows } = await readTable('docs/forest/table.csv');
  const opts = { nTrees: 30 };
  const grouped = groupedConformal(rows, FEATS, 0.9, opts);
  t.is(grouped.method, GROUPED_CONFORMAL_METHOD);
  const oobQ = trainModel(rows, FEATS, { ...opts, level: 0.9 }).model.conformal!.q;
  t.true(grouped.q > oobQ, `grouped ${grouped.q} vs oob ${oobQ}`);
  // Held-out check on one group the calibration never saw: calibrate on the others only.
  const folds = groupFolds(rows.map((r) => r.group));
  let inOob = 0, inGrp = 0, n = 0;
  for (const fold of folds.filter((f) => ['steel-faint', 'ood-texture', 'ood-lowdose'].includes(f.name))) {
    const held = new Set(fold.test);
    const train: Row[] = rows.filter((_, i) => !held.has(i));
    const test = fold.test.map((i) => rows[i]!);
    const { scaler, fitted } = trainForests(train, FEATS, ['f1'], opts);
    const pred = predictRows(fitted.f1!.forest, test, FEATS, scaler);
    const truth = test.map((r) => r.f1);
    inOob += coverage(truth, pred, trainModel(train, FEATS, { ...opts, level: 0.9 }).model.conformal!.q) * test.length;
    inGrp += coverage(truth, pred, groupedConformal(train, FEATS, 0.9, opts).q) * test.length;
    n += test.length;
  }
  t.true(inGrp / n > inOob / n, `coverage grouped ${inGrp / n} vs oob ${inOob / n}`);
});

test('one group is refused with a reason', (t) => {
  const rows: Row[] = Array.from({ length: 12 }, (_, i) => ({ image: `${i}`, group: 'a', features: { counts: i }, f1: i / 12, precision: 0, recall: 0 }));
  t.throws(() => groupedResiduals(rows, ['counts'], 'f1'), { instanceOf: RangeError, message: /at least 2 groups/ });
});

test('rows of a group never trained on widen the half-width by their own residuals', (t) => {
  // Four groups where f1 follows `counts`; the unseen pictures look like good frames but score 0.
  const rows: Row[] = Array.from({ length: 80 }, (_, i) => ({ image: `${i}`, group: `g${i % 4}`, features: { counts: i % 20 }, f1: (i % 20) / 20, precision: 0, recall: 0 }));
  const unseen: Row[] = Array.from({ length: 20 }, (_, i) => ({ image: `u${i}`, group: 'texture', features: { counts: 19 }, f1: 0, precision: 0, recall: 0 }));
  const opts = { nTrees: 20 };
  const plain = groupedConformal(rows, ['counts'], 0.9, opts);
  const widened = groupedConformal(rows, ['counts'], 0.9, opts, unseen);
  t.true(plain.q < 0.2, `plain ${plain.q}`);
  t.true(widened.q > 0.8, `widened ${widened.q}: the unseen rows were predicted as the good frames they resemble, so they were not trained on`);
  t.regex(widened.method, /20 rows of groups never trained on/);
  t.is(plain.method, GROUPED_CONFORMAL_METHOD);
});
