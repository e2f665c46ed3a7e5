import test from 'ava';
import { WorkQueue } from '../../agent/pipeline/queue.js';
import { silentLogger } from '../../agent/log.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function makeQueue(capacity: number, workMs = 5) {
  const done: string[] = [];
  const q = new WorkQueue<string>({ capacity, key: (s) => s, log: silentLogger, worker: async (s) => { await sleep(workMs); done.push(s); } });
  return { q, done };
}

test('processes in arrival order, one at a time', async (t) => {
  const { q, done } = makeQueue(10);
  for (const s of ['a', 'b', 'c', 'd']) t.is(q.push(s), 'queued');
  t.true(await q.drain(5000));
  t.deepEqual(done, ['a', 'b', 'c', 'd']);
});

test('drops duplicates while queued and refuses when full', (t) => {
  const { q } = makeQueue(2, 50);
  t.is(q.push('a'), 'queued'); // taken by the worker at once
  t.is(q.push('b'), 'queued');
  t.is(q.push('b'), 'duplicate');
  t.is(q.push('c'), 'queued');
  t.is(q.push('d'), 'full');
});

test('pause holds items; resume continues; drain reports unfinished work on timeout', async (t) => {
  const { q, done } = makeQueue(10, 20);
  q.pause();
  q.push('a'); q.push('b');
  await sleep(60);
  t.deepEqual(done, []);
  q.resume();
  t.true(await q.drain(5000));
  t.deepEqual(done, ['a', 'b']);
  const slow = makeQueue(10, 300);
  slow.q.push('x'); slow.q.push('y');
  t.false(await slow.q.drain(100));
  t.is(slow.q.push('z'), 'full', 'a draining queue takes nothing new');
});

test('a worker that throws does not stop the queue', async (t) => {
  const seen: string[] = [];
  const q = new WorkQueue<string>({ capacity: 5, key: (s) => s, log: silentLogger, worker: async (s) => { seen.push(s); if (s === 'bad') throw new Error('boom'); } });
  q.push('bad'); q.push('good');
  t.true(await q.drain(2000));
  t.deepEqual(seen, ['bad', 'good']);
  t.is(q.failed, 1);
});

test('onIdle fires when the queue empties', async (t) => {
  let idle = 0;
  const q = new WorkQueue<string>({ capacity: 5, key: (s) => s, log: silentLogger, worker: async () => {}, onIdle: () => idle++ });
  q.push('a');
  await sleep(30);
  t.is(idle, 1);
});

test('an item put back for a later retry does not block the ones behind it', async (t) => {
  // Ten zero-byte files that a camera may still be writing delayed a real image by a minute
  // when the worker slept between their retries.
  const done: string[] = [];
  const tries = new Map<string, number>();
  const q = new WorkQueue<string>({
    capacity: 20, key: (s) => s, log: silentLogger,
    worker: async (s) => {
      const n = (tries.get(s) ?? 0) + 1;
      tries.set(s, n);
      if (s.startsWith('empty') && n <= 2) return { retryAfterMs: 150 };
      done.push(s);
    },
  });
  for (let i = 0; i < 10; i++) q.push(`empty-${i}`);
  q.push('real');
  t.is(q.push('empty-0'), 'duplicate', 'an item waiting for its retry still counts as queued');
  const t0 = Date.now();
  await waitUntil(() => done.includes('real'));
  t.true(Date.now() - t0 < 140, 'the real image went before any retry was due');
  await waitUntil(() => done.length === 11);
  t.is(tries.get('empty-3'), 3);
  t.true(await q.drain(1000));
});

test('drain does not wait for items put back for a retry: they are dropped and reported unfinished', async (t) => {
  const q = new WorkQueue<string>({ capacity: 5, key: (s) => s, log: silentLogger, worker: async () => ({ retryAfterMs: 10_000 }) });
  q.push('later');
  await sleep(20);
  t.is(q.waiting, 1);
  const t0 = Date.now();
  t.false(await q.drain(5000));
  t.true(Date.now() - t0 < 1000);
  t.is(q.waiting, 0);
});

test('a retry after 0 ms goes back to the front (the queue was paused for a fault, order is kept)', async (t) => {
  const seen: string[] = [];
  let failOnce = true;
  const q = new WorkQueue<string>({ capacity: 5, key: (s) => s, log: silentLogger, worker: async (s) => {
    seen.push(s);
    if (s === 'a' && failOnce) { failOnce = false; q.pause(); return { retryAfterMs: 0 }; }
  } });
  q.push('a'); q.push('b');
  await sleep(20);
  t.deepEqual(seen, ['a']);
  q.resume();
  t.true(await q.drain(1000));
  t.deepEqual(seen, ['a', 'a', 'b']);
});

async function waitUntil(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) { if (Date.now() > end) throw new Error('timed out'); await sleep(5); }
}
