import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Publisher } from '../../agent/pipeline/publish.js';
import { StateStore, type OutMsg } from '../../agent/pipeline/outbox.js';
import { envelope } from '../../agent/pipeline/payloads.js';
import { silentLogger } from '../../agent/log.js';
import { aedes, collector, freePort, waitFor } from '../helpers/broker.js';

function setup(port: number, reconnectMs = 200) {
  const store = StateStore.open(mkdtempSync(join(tmpdir(), 'tg-pub-')), silentLogger);
  const pub = new Publisher(
    { url: `mqtt://127.0.0.1:${port}`, clientId: 'tg-test', protocolVersion: 4, root: 'temguard/t1', rejectUnauthorized: true, keepalive: 5, reconnectMs, inflight: 8 },
    { store, log: silentLogger, retainedOnConnect: () => ({ availability: { state: 'online' } }), lastWill: { state: 'offline' } },
  );
  const add = (n: number) => {
    for (let i = 0; i < n; i++) {
      const payload = envelope('result', store.nextSeq(), 't1', { i });
      store.recordImage(`img${payload.seq}|1|1`, [{ topic: 'result', msg_id: payload.msg_id, seq: payload.seq, payload } as OutMsg]);
    }
    pub.pump();
  };
  return { store, pub, add };
}

test('results are published at QoS 1 and leave the outbox only when acknowledged', async (t) => {
  const port = await freePort();
  const broker = await aedes(port);
  const sub = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/t1/#');
  const { store, pub, add } = setup(port);
  try {
    add(20); // before connect: waits in the outbox
    pub.start();
    await waitFor(() => store.outboxDepth === 0, 10_000, 'outbox drained');
    await waitFor(() => sub.messages.filter((m) => m.topic.endsWith('/result')).length === 20, 5000, 'all results received');
    t.truthy(sub.messages.find((m) => m.topic === 'temguard/t1/availability' && m.payload.state === 'online'));
  } finally {
    await pub.stop({ state: 'stopped' }, 1000);
    await sub.close();
    await broker.close();
    store.close();
  }
});

test('broker down, then back: every result arrives, each msg_id once per publish, nothing lost', async (t) => {
  const port = await freePort();
  let broker = await aedes(port);
  // The publisher reconnects slower than the test's subscriber, so the subscriber is back
  // (and subscribed: a restarted broker has no sessions) before the outbox replays.
  const { store, pub, add } = setup(port, 1500);
  pub.start();
  await waitFor(() => pub.connected, 5000, 'connected');
  const sub = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/t1/result');
  add(10);
  await waitFor(() => store.outboxDepth === 0, 5000, 'first batch acknowledged');
  await broker.close(); // outage
  await waitFor(() => !pub.connected, 5000, 'publisher saw the outage');
  add(15);
  t.is(store.outboxDepth, 15, 'results made during the outage wait in the durable outbox');
  broker = await aedes(port);
  try {
    await waitFor(() => sub.client.connected, 5000, 'subscriber back');
    await new Promise((r) => setTimeout(r, 200));
    await waitFor(() => store.outboxDepth === 0, 15_000, 'outbox drained after the broker came back');
    await waitFor(() => sub.messages.length >= 25, 10_000, 'subscriber got all 25');
    await new Promise((r) => setTimeout(r, 500)); // room for any duplicate to show up
    const ids = sub.messages.map((m) => m.payload.msg_id as string);
    t.is(new Set(ids).size, 25, 'every message arrived');
    t.is(ids.length, 25, 'none twice');
    const seqs = sub.messages.map((m) => m.payload.seq as number);
    t.deepEqual([...seqs].sort((a, b) => a - b), seqs, 'in order');
  } finally {
    await pub.stop({ state: 'stopped' }, 1000);
    await sub.close();
    await broker.close();
    store.close();
  }
});
