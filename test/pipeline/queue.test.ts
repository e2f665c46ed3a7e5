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
