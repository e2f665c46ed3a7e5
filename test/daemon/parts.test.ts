/**
 * The daemon's parts in-process with an injected clock: queue overflow and the rescan it
 * triggers, the model retry, the digest and the watchdog's stuck detection.
 */
import test from 'ava';
import { copyFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { detectorOptions } from '../../agent/config/derived.js';
import { DigestTotals, sendDigest } from '../../agent/daemon/digest.js';
import { StateMessages } from '../../agent/daemon/messages.js';
import { MODEL_RETRY_MS, ModelSlot } from '../../agent/daemon/model-slot.js';
import { startWatchdog, StuckDetector } from '../../agent/daemon/watchdog.js';
import { silentLogger } from '../../agent/log.js';
import type { Notifier } from '../../agent/notify.js';
import { createDetector } from '../../agent/pipeline/detect.js';
import { DEFAULT_FOREST_PATH, loadForest } from '../../agent/pipeline/forest.js';
import { StateStore } from '../../agent/pipeline/outbox.js';
import { schemaErrors } from '../helpers/schemas.js';
import { capture, config, corruptFiles, ManualClock, tmp, until } from './helpers.js';
import { daemonParts } from './parts.js';

test('queue overflow: files beyond the capacity stay on disk and the rescan at idle brings every one in', async (t) => {
  const [watch, state] = [tmp('tg-dw-'), tmp('tg-ds-')];
  corruptFiles(watch, 25);
  const cfg = config({ 'state.dir': state, 'watch.dir': watch, 'queue.capacity': 10 });
  const { log, lines } = capture();
  const p = daemonParts(cfg, watch, log, new ManualClock());
  const all = until(() => p.store.doneCount === 25);
  p.events.on('error', () => all.check());
  p.queue.pause(); // a burst arrives faster than the worker takes it
  await p.intake.catchUp('test');
  t.is(p.queue.depth, 10);
  t.true(p.intake.overflowing);
  t.is(lines.filter((l) => String(l.msg).startsWith('queue full')).length, 1, 'said once per overflow, not per file');
  p.queue.resume();
  await all.done;
  t.is(p.stats.processed, 25, 'each file once');
  t.true(lines.some((l) => l.msg === 'catching up' && l.why === 'rescan after overflow'));
  p.store.close();
});

test('model retry: a missing forest leaves the slot degraded; it is tried again only after the retry interval, and loads once the file is there', async (t) => {
  const dir = tmp('tg-dm-');
  const path = join(dir, basename(DEFAULT_FOREST_PATH));
  const clock = new ManualClock();
  let tries = 0;
  let loaded = 0;
  const failures: string[] = [];
  const cfg = config();
  const slot = new ModelSlot({
    load: { detector: () => createDetector(detectorOptions(cfg), silentLogger), forest: () => { tries++; return loadForest(path, { threshold: 0.5 }); } },
    log: silentLogger, clock, onLoaded: () => loaded++, onFailed: (e) => failures.push(e.message),
  });
  try {
    t.false(await slot.load());
    t.truthy(slot.error);
    t.is(failures.length, 1);
    await clock.advance(MODEL_RETRY_MS - 1000);
    await slot.retryIfDue();
    t.is(tries, 1, 'not before the interval');
    await clock.advance(1000);
    await slot.retryIfDue();
    t.is(tries, 2);
    t.is(failures.length, 1, 'the same reason is reported once');
    copyFileSync(DEFAULT_FOREST_PATH, path);
    copyFileSync(DEFAULT_FOREST_PATH.replace(/\.json$/, '.manifest.json'), path.replace(/\.json$/, '.manifest.json'));
    await clock.advance(MODEL_RETRY_MS);
    await slot.retryIfDue();
    t.is(slot.error, null);
    t.true(slot.ready);
    t.is(loaded, 1);
    await clock.advance(MODEL_RETRY_MS);
    await slot.retryIfDue();
    t.is(tries, 3, 'no retries once loaded');
  } finally {
    await slot.close();
  }
});

test('digest: totals since the last digest, schema-valid, reset after sending', (t) => {
  const clock = new ManualClock();
  const store = StateStore.open(tmp('tg-dd-'), silentLogger);
  const messages = new StateMessages(store, 'tem-1', silentLogger, clock);
  const totals = new DigestTotals(clock.now());
  const alerts = { started: 2 };
  const f1s = [0.9, 0.3, 0.6];
  for (const f1 of f1s) totals.result(f1, f1 < 0.5);
  totals.error();
  let pumps = 0;
  const body = sendDigest({ totals, store, messages, alerts, pump: () => pumps++, clock })!;
  t.deepEqual({ images: body.images, errors: body.errors, low: body.low, alerts_started: body.alerts_started }, { images: 4, errors: 1, low: 1, alerts_started: 2 });
  t.true(Math.abs(body.mean_f1! - f1s.reduce((a, b) => a + b) / f1s.length) < 1e-4);
  t.is(pumps, 1);
  const sent = [...store.outboxValues()].at(-1)!;
  t.is(sent.topic, 'digest');
  t.is(schemaErrors('digest', sent.payload), null);
  t.is(alerts.started, 0);
  const next = sendDigest({ totals, store, messages, alerts, pump: () => pumps++, clock })!;
  t.is(next.images, 0);
  t.is(next.mean_f1, null, 'no scored image: no mean');
  store.close();
});

test('watchdog: petted while work moves or nothing waits; not while an image hangs with more queued', async (t) => {
  const d = new StuckDetector();
  t.false(d.stuck({ busy: true, depth: 3, processed: 1 }));
  t.true(d.stuck({ busy: true, depth: 3, processed: 1 }), 'no progress since the last tick');
  t.false(d.stuck({ busy: true, depth: 3, processed: 2 }));
  t.false(d.stuck({ busy: false, depth: 0, processed: 2 }), 'idle is not stuck');

  const clock = new ManualClock();
  let pets = 0;
  const notifier: Notifier = { ready() {}, stopping() {}, status() {}, watchdog: () => { pets++; } };
  const progress = { busy: true, depth: 2, processed: 0 };
  const stop = startWatchdog(5000, () => progress, notifier, clock);
  await clock.advance(5000);
  t.is(pets, 1);
  await clock.advance(10_000);
  t.is(pets, 1, 'stuck: systemd will restart us');
  progress.processed = 1;
  await clock.advance(5000);
  t.is(pets, 2);
  stop();
  t.is(clock.pending, 0);
});
