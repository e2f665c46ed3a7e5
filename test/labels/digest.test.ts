import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DigestTotals, sendDigest } from '../../agent/daemon/digest.js';
import { StateMessages } from '../../agent/daemon/messages.js';
import type { FeedbackBody } from '../../agent/labels/feedback.js';
import { LabelService } from '../../agent/labels/service.js';
import { LabelStore } from '../../agent/labels/store.js';
import { silentLogger } from '../../agent/log.js';
import type { ImageResult } from '../../agent/pipeline/analyse.js';
import { StateStore } from '../../agent/pipeline/outbox.js';
import { schemaErrors } from '../helpers/schemas.js';

test('the digest carries the labels since the previous one (schema-valid), then starts over', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-lab-digest-'));
  const store = StateStore.open(dir, silentLogger);
  t.teardown(() => store.close());
  const clock = { now: () => Date.parse('2026-03-01T10:00:00Z'), every: () => () => {} };
  const messages = new StateMessages(store, 'dg-1', silentLogger, clock);
  const published: FeedbackBody[] = [];
  const labels = new LabelService({ store: LabelStore.open(dir), stateDir: dir, calibrateAfter: 20, now: () => new Date(clock.now()), publish: (b) => published.push(b) }, null);
  const sha = 'c'.repeat(64);
  labels.onResult({
    image: { sha256: sha, rel: 'a.png', width: 100, height: 100 },
    detections: { count: 2, items: [{ box: [0, 0, 10, 10], score: 0.9 }, { box: [50, 50, 60, 60], score: 0.9 }], truncated: false },
    prediction: { f1: 0.9, precision: 0.9, recall: 0.9, low: false, threshold: 0.5 },
  } as unknown as ImageResult, '2026-03-01T09:59:00Z');
  labels.submit({ sha256: sha, action: 'edit', wrong: [1] }); // TP 1, FP 1: F1 2/3
  const deps = { totals: new DigestTotals(clock.now()), store, messages, alerts: { started: 0 }, pump: () => {}, clock, labels: () => labels.totals(true) };
  const body = sendDigest(deps)!;
  t.deepEqual(body.labels, { labelled: 1, mean_abs_error_f1: Math.round((0.9 - 0.6667) * 1e4) / 1e4, mean_realized_f1: 0.6667 });
  const sent = [...store.outboxValues()].map((m) => m.payload).filter((p) => (p.schema as { name: string }).name === 'temguard/digest');
  t.is(schemaErrors('digest', sent[0]), null);
  t.deepEqual(sendDigest(deps)!.labels, { labelled: 0, mean_abs_error_f1: null, mean_realized_f1: null });
});
