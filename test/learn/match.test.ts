import test from 'ava';
import { boxIoU, matchImage } from '../../agent/learn/match.js';
import type { Box } from '../../agent/types.js';

test('box IoU: overlap, identity, disjoint, degenerate', (t) => {
  t.is(boxIoU([0, 0, 10, 10], [5, 0, 15, 10]), 50 / 150);
  t.is(boxIoU([0, 0, 10, 10], [0, 0, 10, 10]), 1);
  t.is(boxIoU([0, 0, 10, 10], [10, 0, 20, 10]), 0); // touching edges share no pixel
  t.is(boxIoU([0, 0, 0, 0], [0, 0, 0, 0]), 0);
});

test('IoU exactly at the threshold is a match, just below is not', (t) => {
  t.is(matchImage([[0, 0, 10, 10]], [[0, 0, 1, 10]]).tp, 1); // IoU 10/100 = 0.1
  const m = matchImage([[0, 0, 10, 10]], [[0, 0, 1, 9]]); // 9/100
  t.deepEqual([m.tp, m.fp, m.fn], [0, 1, 1]);
});

test('greedy: one prediction serves one truth; the best IoU wins', (t) => {
  const truth: Box[] = [[0, 0, 10, 10], [2, 0, 12, 10]];
  const m = matchImage(truth, [[1, 0, 11, 10]]);
  t.deepEqual([m.tp, m.fp, m.fn], [1, 0, 1]);
  t.is(m.precision, 1);
  t.is(m.recall, 0.5);
  t.is(m.f1, 2 / 3);
  const m2 = matchImage([[0, 0, 10, 10]], [[5, 5, 15, 15], [0, 0, 9, 10]]);
  t.deepEqual([m2.tp, m2.fp, m2.fn], [1, 1, 0]);
});

test('the result does not depend on the order truths are listed in', (t) => {
  const truth: Box[] = [[0, 0, 10, 10], [8, 0, 18, 10], [30, 30, 40, 40]];
  const pred: Box[] = [[4, 0, 14, 10], [31, 30, 41, 40]];
  t.deepEqual(matchImage(truth, pred), matchImage([...truth].reverse(), pred));
});

test('corner cases', (t) => {
  t.deepEqual(matchImage([], []), { tp: 0, fp: 0, fn: 0, precision: 1, recall: 1, f1: 1 });
  t.deepEqual(matchImage([[0, 0, 5, 5]], []), { tp: 0, fp: 0, fn: 1, precision: 0, recall: 0, f1: 0 });
  t.deepEqual(matchImage([], [[0, 0, 5, 5]]), { tp: 0, fp: 1, fn: 0, precision: 0, recall: 0, f1: 0 });
});
