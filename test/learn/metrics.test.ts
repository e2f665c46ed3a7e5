import test from 'ava';
import { regressionMetrics, meanMetrics } from '../../agent/learn/metrics.js';
import { repeatedKFold, groupFolds } from '../../agent/learn/cv.js';
import { conformalQuantile, coverage } from '../../agent/learn/conformal.js';
import { classifyAt, prCurve, confusion } from '../../agent/learn/classify.js';
import { fractionAbove, atcBaseline, linearConfidenceBaseline } from '../../agent/learn/baselines.js';
import { zeroFeatures } from '../../agent/pipeline/features.js';
import type { Row } from '../../agent/learn/train.js';

const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-9;

test('regression metrics by hand', (t) => {
  // truth 0, 0.5, 1 (mean 0.5, population std sqrt(1/6)); errors +0.1, -0.2, 0
  const m = regressionMetrics([0, 0.5, 1], [0.1, 0.3, 1]);
  t.true(close(m.mae, 0.1));
  t.true(close(m.rmse, Math.sqrt(0.05 / 3)));
  t.true(close(m.r2, 1 - 0.05 / 0.5));
  t.true(close(m.nrmse, Math.sqrt(0.05 / 3) / Math.sqrt(0.5 / 3)));
  t.true(close(m.nmae, 0.2));
  const flat = regressionMetrics([1, 1], [0.9, 1]);
  t.true(Number.isNaN(flat.r2) && Number.isNaN(flat.nrmse));
  t.is(meanMetrics([m, flat]).r2, m.r2); // NaN folds are skipped, not counted as 0
});

test('folds: every row tested once per repeat; groups split by name', (t) => {
  const folds = repeatedKFold(23, 5, 3, 1);
  t.is(folds.length, 15);
  for (let r = 0; r < 3; r++) {
    const all = folds.slice(r * 5, r * 5 + 5).flatMap((f) => f.test).sort((a, b) => a - b);
    t.deepEqual(all, Array.from({ length: 23 }, (_, i) => i));
  }
  t.notDeepEqual(folds[0]!.test, folds[5]!.test);
  t.deepEqual(groupFolds(['b', 'a', 'b']), [{ name: 'a', test: [1] }, { name: 'b', test: [0, 2] }]);
});

test('conformal quantile and coverage', (t) => {
  const res = Array.from({ length: 9 }, (_, i) => (i + 1) / 10); // 0.1..0.9
  t.is(conformalQuantile(res, 0.8), 0.8); // ceil(10 * 0.8) = 8th smallest
  t.is(conformalQuantile(res, 0.95), 1); // needs the 10th of 9: unbounded -> whole [0,1]
  t.is(coverage([0.5, 0.9, 0.0], [0.6, 0.5, 0.05], 0.2), 2 / 3);
});

test('classification, PR curve and confusion matrix', (t) => {
  const truth = [0.9, 0.8, 0.2, 0.6, 0.1];
  const pred = [0.7, 0.4, 0.6, 0.8, 0.1];
  const c = classifyAt(truth, pred, 0.5, 0.5); // flagged good: 0,2,3 ; truly good: 0,1,3
  t.deepEqual([c.precision, c.recall, c.accuracy], [2 / 3, 2 / 3, 3 / 5]);
  const pr = prCurve(truth, pred, 0.5);
  t.is(pr.points.at(-1)!.recall, 1);
  t.true(close(pr.averagePrecision, (1 / 3) * 1 + (1 / 3) * 1 + (1 / 3) * 0.75)); // ranks: 3(+),0(+),2(-),1(+)
  t.deepEqual(confusion([0.05, 0.95, 1], [0.5, 0.99, 0.2], 2), [[0, 1], [1, 1]]);
});

function row(bins: Record<string, number>, f1: number): Row {
  return { image: 'x', group: 'g', features: { ...zeroFeatures(), ...bins }, f1, precision: f1, recall: f1 };
}

test('ATC reads the score histogram and matches the training mean', (t) => {
  const r = row({ 'counts_0.5': 0.5, 'counts_0.9': 0.5 }, 0.5);
  t.is(fractionAbove(r, 0.1), 1);
  t.true(close(fractionAbove(r, 0.55), 0.75)); // half of the [0.5,0.6) bin is above 0.55
  t.true(close(fractionAbove(r, 0.95), 0.25)); // the last bin spans [0.9, 1]
  const train = [row({ 'counts_0.9': 1 }, 0.8), row({ 'counts_0.2': 1 }, 0.2)];
  const atc = atcBaseline(train, 'f1');
  const mean = (atc(train[0]!) + atc(train[1]!)) / 2;
  t.true(Math.abs(mean - 0.5) < 1e-6, `ATC mean ${mean}`);
  const lin = linearConfidenceBaseline([row({ avg_conf: 0.2 }, 0.1), row({ avg_conf: 0.8 }, 0.7)].map((x) => ({ ...x, features: { ...x.features, avg_conf: x.f1 + 0.1 } })), 'f1');
  t.true(close(lin(row({ avg_conf: 0.5 }, 0)), 0.4));
});
