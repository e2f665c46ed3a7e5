import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibrate, CALIBRATION_FILE, loadCalibration } from '../../agent/labels/calibration.js';
import type { FeedbackBody } from '../../agent/labels/feedback.js';
import { LabelService } from '../../agent/labels/service.js';
import { LabelStore } from '../../agent/labels/store.js';
import type { ImageResult } from '../../agent/pipeline/analyse.js';
import type { Box } from '../../agent/types.js';

const hex = (n: number): string => n.toString(16).padStart(64, '0');

/** The parts of a result the service reads (the daemon hands it real ones). */
function result(n: number, f1: number, boxes: Box[], extra: Record<string, unknown> = {}): ImageResult {
  return {
    image: { sha256: hex(n), rel: `img ${n}.tif`, width: 200, height: 200 },
    detections: { count: boxes.length, items: boxes.map((box) => ({ box, score: 0.9 })), truncated: false },
    prediction: { f1, precision: f1, recall: f1, low: f1 < 0.5, threshold: 0.5, interval: { lo: Math.max(0, f1 - 0.1), hi: Math.min(1, f1 + 0.1), level: 0.9 }, ...extra },
  } as unknown as ImageResult;
}

async function service(calibrateAfter: number) {
  const dir = await mkdtemp(join(tmpdir(), 'tg-labelsvc-'));
  const published: FeedbackBody[] = [];
  const s = new LabelService({ store: LabelStore.open(dir), stateDir: dir, calibrateAfter, publish: (b) => published.push(b), now: () => new Date('2026-01-01T00:00:00Z') }, null);
  return { s, dir, published };
}

const boxes = (k: number): Box[] => Array.from({ length: k }, (_, i) => [i * 20, 0, i * 20 + 10, 10] as Box);

test('a label is checked against the agent\'s own result: bad requests have no effect', async (t) => {
  const { s, published } = await service(20);
  s.onResult(result(1, 0.8, boxes(3)), 't1');
  t.throws(() => s.submit({ sha256: hex(2), action: 'confirm' }), { message: /not among the last/ });
  t.throws(() => s.submit({ sha256: hex(1), action: 'edit', wrong: [3] }), { message: /detection 3 does not exist \(the image has 3\)/ });
  t.throws(() => s.submit({ sha256: hex(1), action: 'edit', added: [[190, 190, 210, 199]] }), { message: /outside the 200x200 image/ });
  t.throws(() => s.submit({ sha256: hex(1), action: 'confirm', wrong: [0] }), { message: /confirm takes no/ });
  t.throws(() => s.submit({ sha256: 'x', action: 'confirm' }), { message: /sha256/ });
  t.throws(() => s.submit([1, 2]), { message: /JSON object/ });
  t.is(published.length, 0);
  const fb = s.submit({ sha256: hex(1), action: 'edit', wrong: [0], added: [[100, 100, 120, 120]] });
  t.is(published.length, 1);
  t.is(fb.realized.f1, 0.6667); // TP 2, FP 1, FN 1
  t.deepEqual(s.totals(true), { labelled: 1, mean_abs_error_f1: Math.round(Math.abs(0.8 - 0.6667) * 1e4) / 1e4, mean_realized_f1: 0.6667 });
  t.is(s.totals(false).labelled, 0, 'reset by the digest');
});

test('a label is scored against the forest\'s own estimate, also where an image unlike any micrograph published its lower bound', async (t) => {
  const { s } = await service(20);
  s.onResult(result(1, 0.2, boxes(3), { point_f1: 0.8 }), 't1');
  s.submit({ sha256: hex(1), action: 'edit', wrong: [0], added: [[100, 100, 120, 120]] });
  t.is(s.totals(true).mean_abs_error_f1, Math.round(Math.abs(0.8 - 0.6667) * 1e4) / 1e4);
});

test('calibration: none before N labels, then fitted with leave-one-out MAE, saved, stamped', async (t) => {
  const n = 6;
  const { s, dir } = await service(n);
  // An optimistic forest: it predicts 0.9 while half the detections are wrong.
  for (let i = 0; i < n; i++) s.onResult(result(i, 0.9 - i * 0.01, boxes(4)), `t${i}`);
  for (let i = 0; i < n - 1; i++) s.submit({ sha256: hex(i), action: 'edit', wrong: [0, 1] });
  t.is(s.current, null);
  t.false(existsSync(join(dir, CALIBRATION_FILE)));
  s.submit({ sha256: hex(n - 1), action: 'edit', wrong: [0, 1] });
  const c = s.current!;
  t.is(c.stamp.labels, n);
  t.true(c.stamp.mae_after < c.stamp.mae_before, JSON.stringify(c.stamp));
  t.true(c.stamp.applied);
  t.deepEqual(loadCalibration(dir), c);
  const p = calibrate({ f1: 0.88, precision: 0.9, recall: 0.9, low: false, threshold: 0.5 }, c);
  t.true(Math.abs(p.f1 - 0.6667) < 1e-3, `calibrated ${p.f1}`);
  t.is(p.calibration?.raw_f1, 0.88);
  t.deepEqual(calibrate({ f1: 0.88, precision: 0.9, recall: 0.9, low: false, threshold: 0.5 }, null).calibration, null);
  // An image unlike any micrograph keeps its lower bound: the map was fitted on micrographs.
  const outside = { f1: 0.3, point_f1: 0.88, precision: 0.9, recall: 0.9, low: true, threshold: 0.5, interval: { lo: 0.3, hi: 1, level: 0.9 } };
  const q = calibrate(outside, c);
  t.is(q.f1, 0.3);
  t.false(q.calibration!.applied);
});

test('calibration off (calibrate_after 0): never fitted', async (t) => {
  const { s, dir } = await service(0);
  for (let i = 0; i < 3; i++) { s.onResult(result(i, 0.9, boxes(2)), `t${i}`); s.submit({ sha256: hex(i), action: 'confirm' }); }
  t.is(s.current, null);
  t.false(existsSync(join(dir, CALIBRATION_FILE)));
});

test('suggestions: out of domain and alert periods first, then the widest interval; labelled ones drop out', async (t) => {
  const { s } = await service(20);
  s.onResult(result(1, 0.8, boxes(1)), 't1');
  s.onResult(result(2, 0.8, boxes(1), { interval: { lo: 0.3, hi: 0.95, level: 0.9 } }), 't2');
  s.onResult(result(3, 0.8, boxes(1), { in_domain: { in_domain: false, distance: 9, percentile: 99.9 } }), 't3');
  s.onAlert('new');
  s.onResult(result(4, 0.8, boxes(1)), 't4');
  s.onAlert('end');
  const got = s.suggestions(10);
  t.deepEqual(got.map((g) => g.sha256), [hex(3), hex(2), hex(4), hex(1)]);
  t.deepEqual(got[0]!.reasons, ['interval 0.70–0.90', 'out of domain']);
  t.true(got[2]!.reasons.includes('alert period'));
  s.submit({ sha256: hex(3), action: 'confirm' });
  t.false(s.suggestions(10).some((g) => g.sha256 === hex(3)));
});
