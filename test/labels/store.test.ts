import test from 'ava';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matchImage } from '../../agent/learn/match.js';
import { feedbackFor } from '../../agent/labels/feedback.js';
import { fromCoco, LABELS_FILE, LabelStore, truthBoxes, type LabelRecord } from '../../agent/labels/store.js';
import type { Box } from '../../agent/types.js';

const sha = (c: string): string => c.repeat(64);

function record(over: Partial<LabelRecord> = {}): LabelRecord {
  return {
    sha256: sha('a'), rel: 'run/img 1.tif', width: 100, height: 80, labelled_at: '2026-01-01T00:00:00.000Z',
    detections: [[0, 0, 10, 10], [20, 20, 30, 30], [50, 50, 60, 60]], wrong: [1], added: [[70, 10, 80, 20]],
    predicted: { f1: 0.9, precision: 0.95, recall: 0.85, lo: 0.8, hi: 0.97 }, ...over,
  };
}

test('labels survive a restart: a second store on the same directory reads them back', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tg-labels-'));
  const a = LabelStore.open(dir);
  a.put(record());
  a.put(record({ sha256: sha('b'), wrong: [], added: [] }));
  const b = LabelStore.open(dir);
  t.is(b.problem, null);
  t.is(b.size, 2);
  t.deepEqual(b.get(sha('a')), record());
  t.false(readdirSync(dir).some((f) => f.includes('.tmp')), 'no temp file left');
});

test('the file is COCO: annotations are the truth (kept detections + added), bbox as x,y,w,h', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tg-labels-'));
  LabelStore.open(dir).put(record());
  const coco = JSON.parse(readFileSync(join(dir, LABELS_FILE), 'utf8'));
  t.is(coco.images[0].sha256, sha('a'));
  t.is(coco.images[0].file_name, 'run/img 1.tif');
  t.deepEqual(coco.annotations.map((a: { bbox: number[] }) => a.bbox), [[0, 0, 10, 10], [50, 50, 10, 10], [70, 10, 10, 10]]);
  t.deepEqual(coco.categories, [{ id: 1, name: 'cavity' }]);
});

test('a corrupt file gives a clear problem, is kept as a backup, and labelling goes on', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tg-labels-'));
  writeFileSync(join(dir, LABELS_FILE), '{"images": [ truncated');
  const s = LabelStore.open(dir, () => new Date('2026-02-03T04:05:06.007Z'));
  const backup = join(dir, `${LABELS_FILE}.corrupt-2026-02-03T04-05-06-007Z`);
  t.regex(s.problem ?? '', /could not be read .*moved to .*corrupt-2026-02-03T04-05-06-007Z/);
  t.is(readFileSync(backup, 'utf8'), '{"images": [ truncated');
  t.is(s.size, 0);
  s.put(record());
  t.is(LabelStore.open(dir).size, 1);
  t.true(existsSync(backup), 'the backup is never overwritten');
});

test('a file of the wrong shape names what is wrong', (t) => {
  t.throws(() => fromCoco({ images: 3 }), { message: /not a COCO file/ });
  t.throws(() => fromCoco({ images: [{ id: 1 }], annotations: [] }), { message: /images\[0\] lacks sha256/ });
});

test('feedback: realized P/R/F1 by the paper\'s IoU 0.1 match, and predicted - realized', (t) => {
  const r = record();
  const fb = feedbackFor(r, 7);
  const m = matchImage(truthBoxes(r), r.detections, 0.1);
  // 3 detections, one marked wrong, one missed cavity added: TP 2, FP 1, FN 1.
  t.deepEqual([fb.realized.tp, fb.realized.fp, fb.realized.fn], [2, 1, 1]);
  t.is(fb.realized.f1, Math.round(m.f1 * 1e4) / 1e4);
  t.is(fb.realized.precision, 0.6667);
  t.is(fb.error.f1, Math.round((0.9 - m.f1) * 1e4) / 1e4);
  t.false(fb.in_interval); // realized 0.667 is below the interval 0.8-0.97
  t.is(fb.labelled_images, 7);
  t.deepEqual(fb.labels, { truth: 3, detections: 3, wrong: 1, added: 1 });
});

test('feedback: a confirmed image is F1 1; a confirmed empty image too', (t) => {
  t.is(feedbackFor(record({ wrong: [], added: [] }), 1).realized.f1, 1);
  t.is(feedbackFor(record({ detections: [], wrong: [], added: [] }), 1).realized.f1, 1);
  const missedAll = feedbackFor(record({ detections: [], wrong: [], added: [[1, 1, 5, 5] as Box] }), 1);
  t.is(missedAll.realized.f1, 0);
  t.is(missedAll.realized.recall, 0);
});
