/**
 * The worker and housekeeping in-process: a full outbox pauses the queue (images wait on
 * disk), a real broker's acknowledgements empty it, and the next housekeeping tick of the
 * injected clock resumes the queue; every image ends journalled exactly once.
 */
import test from 'ava';
import { Publisher } from '../../agent/pipeline/publish.js';
import { scanDir } from '../../agent/pipeline/watch.js';
import { aedes, freePort, waitFor } from '../helpers/broker.js';
import { schemaErrors } from '../helpers/schemas.js';
import { capture, config, corruptFiles, ManualClock, tmp, until } from './helpers.js';
import { daemonParts } from './parts.js';

test('outbox full: the queue pauses until the broker acknowledges, then housekeeping resumes it', async (t) => {
  const [watch, state] = [tmp('tg-dw-'), tmp('tg-ds-')];
  corruptFiles(watch, 12);
  const cfg = config({ 'state.dir': state, 'state.outbox_max': 10, 'watch.dir': watch });
  const clock = new ManualClock();
  const { log, lines } = capture();
  let publisher: Publisher | null = null;
  const p = daemonParts(cfg, watch, log, clock, () => publisher?.pump());
  const journalled = until(() => p.stats.processed >= 10);
  p.events.on('error', () => journalled.check());
  const stopHousekeeping = p.housekeeping.start(clock);
  for (const f of await scanDir(p.watchOpts, log)) p.intake.enqueue(f);
  await journalled.done;
  await waitFor(async () => !p.queue.busy, 5000, 'worker did not settle');
  t.is(p.stats.processed, 10, 'ten images journalled, then the full outbox paused the queue');
  t.is(p.queue.depth, 2, 'the other two wait');
  t.is(p.store.outboxDepth, 10);
  t.true(lines.some((l) => String(l.msg).startsWith('outbox full')));
  for (const m of p.store.outboxValues()) t.is(schemaErrors('error', m.payload), null);

  await clock.advance(1000);
  t.is(p.queue.depth, 2, 'housekeeping does not resume while the outbox is full');

  const port = await freePort();
  const broker = await aedes(port);
  try {
    publisher = new Publisher({ url: `mqtt://127.0.0.1:${port}`, clientId: 'tg-worker-test', protocolVersion: 4, root: 'temguard/tem-1', rejectUnauthorized: true, keepalive: 30, reconnectMs: 100, inflight: 10 }, { store: p.store, log, retainedOnConnect: () => ({}), lastWill: { state: 'offline' } });
    publisher.start();
    await waitFor(async () => p.store.outboxDepth === 0, 10_000, 'the broker did not acknowledge the outbox');
    const all = until(() => p.stats.processed === 12);
    p.events.on('error', () => all.check());
    await clock.advance(1000); // one housekeeping tick: the outbox has room again
    await all.done;
    t.is(p.stats.processed, 12);
    t.is(p.store.doneCount, 12, 'each image journalled once');
  } finally {
    await publisher?.stop({ state: 'stopped' }, 1000);
    await broker.close();
    stopHousekeeping();
    p.store.close();
  }
});

test('a stop that drains in time journals everything that was queued', async (t) => {
  const [watch, state] = [tmp('tg-dw-'), tmp('tg-ds-')];
  corruptFiles(watch, 4);
  const cfg = config({ 'state.dir': state, 'watch.dir': watch });
  const { log } = capture();
  const p = daemonParts(cfg, watch, log, new ManualClock());
  p.queue.pause();
  for (const f of await scanDir(p.watchOpts, log)) p.intake.enqueue(f);
  p.queue.resume();
  await p.worker.drain(p.queue, 10_000);
  t.is(p.store.doneCount, 4);
  p.store.close();
});
