/**
 * The worker, queue and intake wired as daemon.ts wires them, on a real state directory, real
 * files and the real analysis (decode failures need no model), without the broker: tests add
 * a real Publisher where they need delivery.
 */
import { join } from 'node:path';
import { decodeOptions } from '../../agent/config/derived.js';
import type { Config } from '../../agent/config/schema.js';
import { DigestTotals } from '../../agent/daemon/digest.js';
import { configHasher, doneCheck } from '../../agent/daemon/done.js';
import { DaemonEvents } from '../../agent/daemon/events.js';
import { Housekeeping } from '../../agent/daemon/housekeeping.js';
import { Intake } from '../../agent/daemon/intake.js';
import { StateMessages } from '../../agent/daemon/messages.js';
import { ModelSlot } from '../../agent/daemon/model-slot.js';
import { newStats } from '../../agent/daemon/stats.js';
import { analyseWith, DEFAULT_MAX_ITEMS, Worker } from '../../agent/daemon/worker.js';
import type { Logger } from '../../agent/log.js';
import { AlertTracker } from '../../agent/pipeline/alerts.js';
import { StateStore } from '../../agent/pipeline/outbox.js';
import { WorkQueue } from '../../agent/pipeline/queue.js';
import { imageKey, scanDir, type ImageFile, type WatchOptions } from '../../agent/pipeline/watch.js';
import type { ManualClock } from './helpers.js';

export function daemonParts(cfg: Config, watchDir: string, log: Logger, clock: ManualClock, pump: () => void = () => {}) {
  const store = StateStore.open(join(cfg.state.dir), log);
  const messages = new StateMessages(store, cfg.instrument.id, log, clock);
  const stats = newStats(clock.now());
  const digest = new DigestTotals(clock.now());
  const events = new DaemonEvents(log);
  const alerts = new AlertTracker({ enterAfter: cfg.alert.enter_after, exitAfter: cfg.alert.exit_after, updateEvery: cfg.alert.update_every });
  const models = new ModelSlot({ load: { detector: () => Promise.reject(new Error('no model in this test')), forest: () => Promise.reject(new Error('no model in this test')) }, log, clock });
  const configHash = configHasher(cfg, models);
  const alreadyDone = doneCheck(store, configHash);
  const watchOpts: WatchOptions = { dir: watchDir, extensions: cfg.watch.extensions, ignorePrefixes: cfg.watch.ignore_prefixes, ignoreSuffixes: cfg.watch.ignore_suffixes, stableMs: 0, pollMs: 10, usePolling: false };
  const decode = decodeOptions(cfg);
  const worker = new Worker({
    store, messages, alerts, configHash, alreadyDone, stats, digest, events, own: null, log,
    analyse: analyseWith(() => ({ detector: models.detector!, forest: models.forest!, decode, maxItems: DEFAULT_MAX_ITEMS })),
    intake: { ioFailure: (f) => intake.ioFailure(f) }, pause: () => queue.pause(), pump: () => pump(),
    retryTruncated: 0, retryDelayMs: 10, outboxMax: cfg.state.outbox_max,
  });
  const queue: WorkQueue<ImageFile> = new WorkQueue<ImageFile>({ capacity: cfg.queue.capacity, key: imageKey, worker: (f, w) => worker.process(f, w), log, onIdle: () => intake.onIdle() });
  const intake = new Intake({ queue, alreadyDone, scan: () => scanDir(watchOpts, log), keepMs: cfg.state.keep_days * 86_400_000, capacity: cfg.queue.capacity, clock, log });
  const housekeeping = new Housekeeping({
    store, models: { error: null, retryIfDue: async () => {} }, messages, intake, resume: () => queue.resume(),
    publishStatus: () => {}, pump: () => pump(), outboxMax: cfg.state.outbox_max, keepMs: cfg.state.keep_days * 86_400_000, log,
  });
  return { store, messages, stats, digest, events, alerts, worker, queue, intake, housekeeping, watchOpts };
}
