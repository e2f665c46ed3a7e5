import test from 'ava';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateStore, type OutMsg } from '../../agent/pipeline/outbox.js';
import { silentLogger } from '../../agent/log.js';

const dir = () => mkdtempSync(join(tmpdir(), 'tg-state-'));
const msg = (store: StateStore, id: string): OutMsg => ({ topic: 'result', msg_id: id, seq: store.nextSeq(), payload: { id } });

test('an image recorded is done and its messages wait until acknowledged, across reopen', (t) => {
  const d = dir();
  const s1 = StateStore.open(d, silentLogger);
  s1.recordImage('a.png|1|1', [msg(s1, 'm1'), msg(s1, 'm2')]);
  s1.recordImage('b.png|1|1', [msg(s1, 'm3')]);
  s1.ack(['m1']);
  s1.close();
  const s2 = StateStore.open(d, silentLogger);
  t.true(s2.isDone('a.png|1|1'));
  t.true(s2.isDone('b.png|1|1'));
  t.false(s2.isDone('c.png|1|1'));
  t.deepEqual([...s2.outboxValues()].map((m) => m.msg_id), ['m2', 'm3']);
  s2.close();
});

test('sequence numbers never repeat across restarts', (t) => {
  const d = dir();
  const s1 = StateStore.open(d, silentLogger);
  const first = [s1.nextSeq(), s1.nextSeq(), s1.nextSeq()];
  s1.close();
  const s2 = StateStore.open(d, silentLogger);
  const next = s2.nextSeq();
  t.true(next > Math.max(...first));
  s2.close();
});

test('a torn last line (crash mid-write) is discarded and appends continue cleanly', (t) => {
  const d = dir();
  const s1 = StateStore.open(d, silentLogger);
  s1.recordImage('a|1|1', [msg(s1, 'm1')]);
  s1.close();
  appendFileSync(join(d, 'state.jsonl'), '{"t":"img","key":"b|1|1","at":1,"ms');
  const s2 = StateStore.open(d, silentLogger);
  t.false(s2.isDone('b|1|1'));
  s2.recordImage('c|1|1', []);
  s2.close();
  const s3 = StateStore.open(d, silentLogger);
  t.true(s3.isDone('a|1|1'));
  t.true(s3.isDone('c|1|1'));
  t.is(s3.outboxDepth, 1);
  s3.close();
});

test('compaction keeps recent journal keys and pending messages, forgets old keys and acks', (t) => {
  const d = dir();
  const s = StateStore.open(d, silentLogger);
  s.recordImage('old|1|1', [msg(s, 'm1')]);
  s.recordImage('new|1|1', [msg(s, 'm2')]);
  s.ack(['m1']);
  const before = readFileSync(join(d, 'state.jsonl'), 'utf8').length;
  s.compact(60_000);
  t.true(readFileSync(join(d, 'state.jsonl'), 'utf8').length < before);
  s.compact(0); // keep nothing in the journal
  s.close();
  const s2 = StateStore.open(d, silentLogger);
  t.false(s2.isDone('old|1|1'));
  t.deepEqual([...s2.outboxValues()].map((m) => m.msg_id), ['m2'], 'the unacknowledged message survives');
  s2.close();
});
