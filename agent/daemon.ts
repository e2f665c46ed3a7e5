/**
 * The daemon: builds the stages from the config, starts them in order (state, broker,
 * publisher, models, queue, watcher, schedules) and stops them in reverse. One stop path
 * serves SIGTERM, SIGINT and fatal errors (commands/run.ts wires the signals).
 *
 * Per image: watcher -> queue -> analyse (decode, detect, features, forest) -> alerts ->
 * StateStore.recordImage (journal + outbox, one fsynced line) -> publisher. An image whose
 * analysis fails produces an `error` message instead of a result; either way it is done
 * (errors a config or permission change can fix are tried again when that changes).
 *
 * Faults: a state write that fails (full disk, EIO) pauses intake and reports `degraded` until
 * a write succeeds again; an image in flight at two crashes is quarantined as an error; a stop
 * that times out leaves unfinished images un-journalled, so they are redone at next start.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Config } from './config/schema.js';
import { redact } from './config/load.js';
import type { Logger } from './log.js';
import { createNotifier, watchdogIntervalMs, type Notifier } from './notify.js';
import { AlertTracker, type AlertEvent } from './pipeline/alerts.js';
import { analyseImage, DEFAULT_MAX_ITEMS, StageError, type AnalyseDeps, type ImageResult } from './pipeline/analyse.js';
import { parseEmbeddedUrl, startEmbeddedBroker, type EmbeddedBroker } from './pipeline/broker.js';
import { decodeOptions, detectorOptions } from './config/derived.js';
import { createDetector, type Detector } from './pipeline/detect.js';
import { DEFAULT_FOREST_PATH, loadForest, type Forest } from './pipeline/forest.js';
import { publisherOptions, topicRoot } from './pipeline/mqtt-options.js';
import { acquireStateLock } from './pipeline/lock.js';
import { StateStore, StateWriteError, type OutMsg, type RetryWhen } from './pipeline/outbox.js';
import { envelope, errorClass, type ErrorClass, type TopicName } from './pipeline/payloads.js';
import { Publisher } from './pipeline/publish.js';
import { WorkQueue, type Retry } from './pipeline/queue.js';
import { startSchedules } from './pipeline/schedule.js';
import { imageKey, scanDir, startWatcher, type ImageFile, type WatchOptions, type Watcher } from './pipeline/watch.js';
import { VERSION } from './version.js';
import { OwnImages } from './web/own-images.js';

export interface DaemonDeps {
  log: Logger;
  env?: NodeJS.ProcessEnv;
  notifier?: Notifier;
}

export interface DaemonStats {
  started: string;
  processed: number;
  results: number;
  errors: number;
  low: number;
  last_prediction: { image: string; f1: number; low: boolean } | null;
}

export interface Daemon {
  readonly watchDir: string;
  readonly brokerUrl: string;
  readonly stats: DaemonStats;
  stop(reason: string): Promise<void>;
}

export async function startDaemon(cfg: Config, deps: DaemonDeps): Promise<Daemon> {
  const log = deps.log;
  const notifier = deps.notifier ?? createNotifier(log, deps.env);
  const stopping: (() => Promise<void>)[] = []; // reverse-order teardown of what has started
  const teardown = async () => { for (const s of stopping.splice(0).reverse()) await s().catch((err) => log.error('stop step failed', { error: err })); };
  try {
    return await build(cfg, deps, log, notifier, stopping, teardown);
  } catch (err) {
    await teardown();
    throw err;
  }
}

async function build(cfg: Config, deps: DaemonDeps, log: Logger, notifier: Notifier, stopping: (() => Promise<void>)[], teardown: () => Promise<void>): Promise<Daemon> {
  const instrument = cfg.instrument.id;
  const decode = decodeOptions(cfg); // derived once, used for every image and by the live view
  const stats: DaemonStats = { started: new Date().toISOString(), processed: 0, results: 0, errors: 0, low: 0, last_prediction: null };
  const digest = { images: 0, errors: 0, sumF1: 0, low: 0, since: new Date() };

  // 1. State: one agent per state directory (a second one exits here, naming the first), then journal + outbox.
  const stateDir = resolve(cfg.state.dir);
  const lock = acquireStateLock(stateDir, log.child({ component: 'state' }));
  stopping.push(async () => lock.release());
  const store = StateStore.open(stateDir, log.child({ component: 'state' }));
  stopping.push(async () => store.close());
  /** reuse: msg_ids a damaged journal line named for this image; its redo publishes under them. */
  const make = (topic: TopicName, body: object, reuse: { topic: string; msg_id: string }[] = []): OutMsg => {
    const i = reuse.findIndex((r) => r.topic === topic);
    const id = i >= 0 ? reuse.splice(i, 1)[0]!.msg_id : undefined;
    const payload = envelope(topic, store.nextSeq(), instrument, body, new Date(), id);
    return { topic, msg_id: payload.msg_id, seq: payload.seq, payload };
  };
  const cfgHash = hashConfig(cfg);
  /** What config and model errors are journalled under: the config plus the models it loaded (a new model file retries them too). */
  const configHash = (): string => hashConfig({ cfgHash, detector: detector?.model.sha256 ?? null, forest: forest?.sha256 ?? null });
  /** For messages that are not an image's outcome: while the state log fails they are logged, not journalled. */
  const recordBestEffort = (fn: () => void) => {
    try { fn(); } catch (err) { if (!(err instanceof StateWriteError)) throw err; log.warn('could not journal this error message (state log not writable)', { error: err.message }); }
  };

  // 2. Broker (embedded) and publisher. A site broker that is down is not fatal.
  let broker: EmbeddedBroker | null = null;
  let brokerUrl = cfg.mqtt.url;
  if (cfg.mqtt.url.startsWith('embedded://')) {
    const { host, port } = parseEmbeddedUrl(cfg.mqtt.url);
    // With mqtt.username set, the embedded broker requires the login the agent's own client uses.
    const login = publisherOptions(cfg, cfg.mqtt.url, true, deps.env);
    broker = await startEmbeddedBroker(host, port, log.child({ component: 'broker' }), login.username ? { username: login.username, password: login.password ?? '' } : undefined);
    brokerUrl = `mqtt://${host}:${broker.port}`;
    const b = broker;
    stopping.push(() => b.close());
  }
  let detector: Detector | null = null;
  let forest: Forest | null = null;
  let modelError: string | null = null;
  let watchProblem: string | null = null; // the watch directory vanished: nothing comes in until it is back
  let watchDir = '';
  const queueRef: { q?: WorkQueue<ImageFile> } = {};
  const alerts = new AlertTracker({ enterAfter: cfg.alert.enter_after, exitAfter: cfg.alert.exit_after, updateEvery: cfg.alert.update_every });
  const availability = (state: string) => ({ ...envelope('availability', store.retainedSeq(), instrument, {}), state });
  const info = () => envelope('info', store.retainedSeq(), instrument, {
    version: VERSION, node: process.versions.node, watch_dir: watchDir,
    detector: detector ? { ...detector.model, metadata: undefined, ep: detector.ep } : null,
    forest: forest ? { path: forest.path, name: forest.manifest.name, sha256: forest.sha256, features: forest.features, ...(detector ? { pairing: checkPairing(detector, forest) } : {}) } : null,
    model_error: modelError, config: redact(cfg),
  });
  const degradedReason = (): string | null => modelError ?? watchProblem ?? (store.writeError ? `state log not writable (${store.writeError}): image intake paused until writes succeed` : null);
  const status = (): Record<string, unknown> => envelope('status', store.retainedSeq(), instrument, {
    state: degradedReason() ? 'degraded' : 'running', reason: degradedReason(),
    queue: { depth: queueRef.q?.depth ?? 0, busy: queueRef.q?.busy ?? false, capacity: cfg.queue.capacity },
    counters: { processed: stats.processed, results: stats.results, errors: stats.errors, low: stats.low },
    ep: detector?.ep.active ?? null, outbox: { depth: store.outboxDepth, max: cfg.state.outbox_max, inflight: publisher.inflightCount },
    broker: { connected: publisher.connected, last_error: publisher.lastError },
    alert: alerts.current, last_prediction: stats.last_prediction, uptime_s: Math.round(process.uptime()),
  });
  // Read once (password file, TLS files): the live view's subscriber uses the same settings.
  const pubOptions = publisherOptions(cfg, brokerUrl, broker !== null, deps.env);
  const publisher: Publisher = new Publisher(pubOptions, {
    store, log: log.child({ component: 'mqtt' }),
    retainedOnConnect: () => ({ availability: availability('online'), info: info(), status: status() }),
    // The broker sends this if we vanish; its ts is when it was registered (at start).
    lastWill: availability('offline'),
  });
  publisher.start();
  stopping.push(() => publisher.stop(availability('stopped'), 5000));

  // 2b. The live view: a web page that follows the same topics as any other dashboard.
  // Overlays are drawn only for images this agent analysed (never for paths read off MQTT).
  const own = cfg.http.listen ? new OwnImages({ max: 8, watchDir: () => watchDir || null }) : null;
  if (cfg.http.listen) {
    const { startWebServer, webMqttOptions } = await import('./web/server.js');
    const web = await startWebServer({
      listen: cfg.http.listen, mqttUrl: brokerUrl, root: topicRoot(cfg),
      mqttOptions: webMqttOptions(pubOptions), own: own!,
      decode, log: log.child({ component: 'web' }),
    });
    stopping.push(() => web.close());
    log.info('live view', { url: web.url });
  }

  // 3. Models. A wrong or missing model does not kill the agent: it reports, stays up
  // (degraded, images wait on disk) and retries, so fixing the file is enough.
  const loadModels = async (): Promise<boolean> => {
    try {
      detector ??= await createDetector(detectorOptions(cfg), log.child({ component: 'detect' }));
      forest ??= await loadForest(cfg.forest.model ?? DEFAULT_FOREST_PATH, { threshold: cfg.forest.f1_threshold });
      const pairing = checkPairing(detector, forest);
      if (!pairing.matches) log.warn('the forest was trained on another detector\'s outputs: its predicted F1 is not calibrated for this one (build a table with `temguard dataset` and `temguard train`)', { detector: detector.model.name, trained_on: pairing.trained_on });
      if (modelError) log.info('models loaded; resuming', {});
      modelError = null;
      publisher.publishRetained('info', info()); // the one sent at connect may predate the models
      return true;
    } catch (err) {
      const msg = (err as Error).message;
      if (msg !== modelError) {
        log.error('cannot load models; agent stays up, degraded, and retries every 30 s', { error: msg });
        recordBestEffort(() => store.recordMessages([make('error', { stage: 'startup', code: (err as Error).name, class: errorClass('startup', (err as Error).name, msg), message: msg, image: null })]));
        publisher.pump();
      }
      modelError = msg;
      return false;
    }
  };
  const modelsOk = await loadModels();
  // Closed only after the drain (teardown runs in reverse): the worker takes no image by then.
  stopping.push(async () => { await detector?.close(); });

  // 4. Where images come from: the configured directory, or the demo microscope.
  if (cfg.watch.dir) {
    watchDir = resolve(cfg.watch.dir);
    const s = statSafe(watchDir);
    if (!s?.isDirectory()) throw new Error(`watch.dir: ${watchDir} is not a directory (create it or fix --watch)`);
  } else {
    watchDir = mkdtempSync(join(tmpdir(), 'temguard-demo-'));
    const demoDir = watchDir;
    stopping.push(() => rm(demoDir, { recursive: true, force: true })); // after the feed stops (reverse order)
    const { startDemoFeed } = await import('./sim/demo.js');
    const feed = startDemoFeed({ dir: watchDir, intervalMs: cfg.watch.demo_interval_ms, seed: 1, size: cfg.watch.demo_size, keep: cfg.watch.demo_keep, log: log.child({ component: 'demo' }) });
    stopping.push(() => feed.stop());
    log.info('no acquisition directory configured: running the demo microscope', { dir: watchDir, interval_ms: cfg.watch.demo_interval_ms });
  }
  publisher.publishRetained('info', info()); // the ones sent so far predate watch_dir

  // 5. The queue and what it does with each image.
  const analyseDeps = (): AnalyseDeps => ({ detector: detector!, forest: forest!, decode, maxItems: DEFAULT_MAX_ITEMS });
  const tries = new Map<string, number>(); // rel -> analyses so far (a file still being written is retried)
  const ioFailed = new Map<string, ImageFile>(); // rel -> images that failed for io: retried when their stamp changes
  // abort: a stop that times out interrupts the detection in flight between tiles.
  const stop = { abandoned: false, inFlight: null as string | null, abort: new AbortController() };
  /** Done, unless it was an error that a config change or a file change (mtime is in the key; mode here) can fix. */
  const alreadyDone = (f: ImageFile): boolean => {
    const e = store.doneEntry(imageKey(f));
    if (!e) return false;
    if (e.retry?.config !== undefined && e.retry.config !== configHash()) return false;
    if (e.retry?.file !== undefined && e.retry.file !== fileStamp(f.path)) return false;
    return true;
  };
  /** A state write failed: the image is not journalled; it goes back to the front and intake pauses. */
  const stateFailed = (err: StateWriteError): Retry => {
    queue.pause();
    log.warn('image not journalled (state log not writable); it waits and is redone when writes succeed', { error: err.message });
    return { retryAfterMs: 0 };
  };
  const processOne = async (file: ImageFile, waitedMs: number): Promise<void | Retry> => {
    if (stop.abandoned || alreadyDone(file)) return;
    const key = imageKey(file);
    const reuse = [...store.reusableIds(key)];
    try {
      if (store.unfinishedRuns(key) >= 2) return quarantine(file, key, store.unfinishedRuns(key), reuse);
      store.markRunning(key); // if this image takes the agent down, the next start knows
    } catch (err) {
      if (err instanceof StateWriteError) return stateFailed(err);
      throw err;
    }
    stop.inFlight = key;
    const attempt = (tries.get(file.rel) ?? 0) + 1;
    tries.set(file.rel, attempt);
    const { result, error } = await analyseOnce(file, analyseDeps(), stop.abort.signal);
    stop.inFlight = null;
    // A stop timed out while this ran (perhaps on a detector already closed): leave it
    // un-journalled, so it is redone at next start; nothing was published for it.
    if (stop.abandoned) return;
    if (error?.retryable && attempt <= cfg.watch.retry_truncated) {
      log.info('image incomplete or unreadable; retrying later (other images go first)', { image: file.rel, code: error.code, attempt, in_ms: cfg.watch.retry_delay_ms });
      try { store.markLeft(key); } catch { /* a stale mark only makes a crash count once more */ }
      return { retryAfterMs: cfg.watch.retry_delay_ms };
    }
    const current = restat(file); // the key of the bytes we analysed (a retry may have waited for the writer)
    let retry: RetryWhen | undefined;
    const msgs: OutMsg[] = [];
    let alert: AlertEvent | null = null;
    try {
      if (result) {
        result.timing_ms.queue_wait = Math.round(waitedMs);
        msgs.push(make('result', result, reuse));
        alert = alerts.observe(result.prediction, result.features, file.rel);
        if (alert) msgs.push(make('alert', alert, reuse));
      } else {
        const cls = errorClass(error!.stage, error!.code, error!.message);
        retry = cls === 'config' || cls === 'model' ? { config: configHash() } : cls === 'io' ? { file: fileStamp(file.path) } : undefined;
        msgs.push(make('error', { image: { path: file.path, rel: file.rel }, stage: error!.stage, code: error!.code, class: cls, message: error!.message, attempts: attempt }, reuse));
      }
      store.recordImage(imageKey(current), msgs, { retry, started: key });
    } catch (err) {
      if (err instanceof StateWriteError) { tries.delete(file.rel); return stateFailed(err); }
      throw err;
    }
    tries.delete(file.rel);
    count(file, result, error, retry, alert);
    publisher.pump();
    if (store.outboxDepth >= cfg.state.outbox_max) {
      log.warn('outbox full: pausing image processing until the broker acknowledges (images wait on disk)', { depth: store.outboxDepth });
      queue.pause();
    }
  };
  /** Counters and logs, once the image is journalled. */
  const count = (file: ImageFile, result: ImageResult | undefined, error: StageError | undefined, retry: RetryWhen | undefined, alert: AlertEvent | null) => {
    stats.processed++;
    digest.images++;
    if (result) {
      own?.record(result);
      const p = result.prediction;
      stats.results++;
      digest.sumF1 += p.f1;
      if (p.low) { stats.low++; digest.low++; }
      stats.last_prediction = { image: file.rel, f1: p.f1, low: p.low };
      if (alert) log.warn(`alert ${alert.state}`, { alert_id: alert.alert_id, mean_f1: alert.mean_f1, hint: alert.hint });
      log.info('result', { image: file.rel, f1: round(p.f1), low: p.low, detections: result.detections.count, ms: result.timing_ms.total });
    } else {
      stats.errors++;
      digest.errors++;
      if (retry?.file !== undefined) ioFailed.set(file.rel, restat(file));
      log.warn('image failed', { image: file.rel, stage: error!.stage, code: error!.code, class: errorClass(error!.stage, error!.code, error!.message), error: error!.message, ...(retry ? { retried_when: retry.config ? 'the config or a model changes' : 'the file changes (mtime or permissions)' } : {}) });
    }
  };
  /** In flight at two crashes already: an error instead of a third try (a 16384² PNG OOM-killed the agent at every start). */
  const quarantine = (file: ImageFile, key: string, crashes: number, reuse: { topic: string; msg_id: string }[]): void => {
    const message = `crashed the agent twice (in flight at ${crashes} crashes); quarantined, not tried again. A changed file (new size or mtime) is tried afresh`;
    store.recordImage(key, [make('error', { image: { path: file.path, rel: file.rel }, stage: 'analyse', code: 'crash_loop', class: 'input' satisfies ErrorClass, message, attempts: crashes }, reuse)]);
    stats.processed++; stats.errors++; digest.images++; digest.errors++;
    log.error('image quarantined: it crashed the agent twice', { image: file.rel, crashes });
    publisher.pump();
  };
  let overflowed = false;
  const queue: WorkQueue<ImageFile> = new WorkQueue<ImageFile>({
    capacity: cfg.queue.capacity, key: imageKey, worker: processOne, log: log.child({ component: 'queue' }),
    onIdle: () => { if (overflowed) { overflowed = false; void catchUp('rescan after overflow'); } },
  });
  queueRef.q = queue;
  if (!modelsOk) queue.pause();
  const enqueue = (f: ImageFile) => {
    if (alreadyDone(f)) return;
    if (queue.push(f) === 'full' && !overflowed) { overflowed = true; log.warn('queue full: leaving new images on disk until it drains', { capacity: cfg.queue.capacity }); }
  };
  const watchOpts: WatchOptions = {
    dir: watchDir, extensions: cfg.watch.extensions, ignorePrefixes: cfg.watch.ignore_prefixes, ignoreSuffixes: cfg.watch.ignore_suffixes,
    stableMs: cfg.watch.stable_ms, pollMs: cfg.watch.poll_ms, usePolling: cfg.watch.use_polling,
  };
  const catchUp = async (why: string) => {
    // Files older than the journal's memory (state.keep_days) are history, not new arrivals.
    const horizon = Date.now() - cfg.state.keep_days * 86_400_000;
    const files = await scanDir(watchOpts, log);
    const todo = files.filter((f) => f.mtimeMs >= horizon && !alreadyDone(f));
    if (todo.length) log.info('catching up', { why, images: todo.length });
    for (const f of todo) enqueue(f);
  };
  const drain = async () => {
    const done = await queue.drain(cfg.queue.drain_timeout_s * 1000);
    if (done) return;
    // Whatever has not finished is left un-journalled (redone at next start); the detection in
    // flight is interrupted between tiles, and the detector is closed only once the worker has
    // let go of it (bounded: the stop must fit TimeoutStopSec).
    stop.abandoned = true;
    stop.abort.abort(new Error('stopping: drain timeout'));
    const left = queue.depth + queue.waiting + (stop.inFlight ? 1 : 0);
    queue.clear();
    if (stop.inFlight) { try { store.markLeft(stop.inFlight); } catch { /* counted as a crash at worst */ } }
    log.warn('drain timeout: unfinished images are not journalled and will be processed at next start', { left, in_flight: stop.inFlight });
    if (!(await queue.idle(DETECTOR_RELEASE_WAIT_MS))) log.warn('the image in flight did not finish; closing the detector under it (its outcome is discarded)', {});
  };

  // 6. Watch, then catch up (watch first so nothing slips between the scan and the watch).
  // Arrivals during the catch-up scan wait behind it, so images are processed oldest first.
  let early: ImageFile[] | null = [];
  const watcher: Watcher = await startWatcher(watchOpts, (f) => (early ? early.push(f) : enqueue(f)), log.child({ component: 'watch' }), {
    onLost: (reason) => { watchProblem = `watch directory lost (${reason}): nothing is processed until it is back`; publisher.publishRetained('status', status()); },
    onRestored: () => { watchProblem = null; publisher.publishRetained('status', status()); void catchUp('watch directory is back'); },
  });
  stopping.push(drain);
  stopping.push(() => watcher.close());
  if (cfg.watch.catch_up) await catchUp('start');
  for (const f of early.splice(0)) enqueue(f);
  early = null;

  // 7. Schedules: status heartbeat, digest, pruning; retry models while degraded; resume after outbox drains.
  const schedules = startSchedules([
    { name: 'status', expression: cfg.schedule.status, run: () => publisher.publishRetained('status', status()) },
    { name: 'digest', expression: cfg.schedule.digest, run: () => {
      if (store.writeError) return; // the counts carry over to the next digest
      const body = { since: digest.since.toISOString(), images: digest.images, errors: digest.errors, low: digest.low, alerts_started: alerts.started, mean_f1: digest.images - digest.errors > 0 ? round(digest.sumF1 / (digest.images - digest.errors)) : null };
      store.recordMessages([make('digest', body)]);
      publisher.pump();
      Object.assign(digest, { images: 0, errors: 0, sumF1: 0, low: 0, since: new Date() });
      alerts.started = 0;
    } },
    { name: 'prune', expression: cfg.schedule.prune, run: () => { store.compact(cfg.state.keep_days * 86_400_000); } }, // a failure keeps the old log
  ], log.child({ component: 'schedule' }));
  stopping.push(() => schedules.stop());
  let lastModelTry = Date.now();
  let ticks = 0;
  const housekeeping = setInterval(async () => {
    try {
      if (modelError && Date.now() - lastModelTry >= 30_000) { lastModelTry = Date.now(); await loadModels(); }
      store.retryWrites(); // while the state log fails: one probe write, with backoff (1 s .. 30 s)
      const outage = store.takeRecovery();
      if (outage) recordOutage(outage);
      if (!modelError && !store.writeError && store.outboxDepth < cfg.state.outbox_max * 0.9) queue.resume();
      if (store.wantsCompaction) store.compact(cfg.state.keep_days * 86_400_000);
      if (++ticks % IO_RECHECK_TICKS === 0) recheckIoFailures();
    } catch (err) {
      log.error('housekeeping failed', { error: err });
    }
  }, 1000);
  housekeeping.unref();
  stopping.push(async () => clearInterval(housekeeping));
  /** The outage is put on record (an error message) once the log takes writes again. */
  const recordOutage = (o: { since: number; until: number; error: string; code: string }) => {
    const message = `the state log was not writable from ${new Date(o.since).toISOString()} to ${new Date(o.until).toISOString()} (${o.error}); image intake was paused meanwhile, nothing was lost`;
    recordBestEffort(() => store.recordMessages([make('error', { image: null, stage: 'state', code: o.code, class: 'io' satisfies ErrorClass, message })]));
    publisher.publishRetained('status', status());
    publisher.pump();
  };
  /** Images that failed for io in this run are tried again once their stamp (mode, owner) changes: chmod fixes them. */
  const recheckIoFailures = () => {
    for (const [rel, f] of ioFailed) if (!alreadyDone(f)) { ioFailed.delete(rel); log.info('file changed since it failed to read; trying it again', { image: rel }); enqueue(f); }
  };

  // 8. systemd: ready, and a watchdog that only pets while the pipeline is not stuck.
  const wd = watchdogIntervalMs(deps.env);
  if (wd) {
    let lastProcessed = -1;
    const timer = setInterval(() => {
      const stuck = queue.busy && stats.processed === lastProcessed && queue.depth > 0;
      lastProcessed = stats.processed;
      if (!stuck) notifier.watchdog();
    }, wd);
    timer.unref();
    stopping.push(async () => clearInterval(timer));
  }
  notifier.ready();
  log.info('temguard running', { version: VERSION, instrument, watch: watchDir, broker: brokerUrl.replace(/\/\/[^@/]*@/, '//***@'), topics: `${topicRoot(cfg)}/#`, ep: (detector as Detector | null)?.ep.active ?? null });

  let stopped = false;
  return {
    watchDir, brokerUrl, stats,
    stop: async (reason: string) => {
      if (stopped) return;
      stopped = true;
      notifier.stopping();
      log.info('stopping', { reason, queued: queue.depth, outbox: store.outboxDepth });
      await teardown();
      log.info('stopped', { processed: stats.processed });
    },
  };
}

/**
 * Whether the forest learnt from this detector's outputs (its manifest lists the detectors'
 * sha256). A forest read over another detector's confidences predicts an F1 that means little.
 */
export function checkPairing(detector: Detector, forest: Forest): { matches: boolean; trained_on: { name: string; sha256: string }[] } {
  const trainedOn = ((forest.manifest.training as { detectors?: { name: string; sha256: string }[] } | undefined)?.detectors) ?? [];
  return { matches: trainedOn.length === 0 || trainedOn.some((d) => d.sha256 === detector.model.sha256), trained_on: trainedOn };
}

/** Waits this long after a drain timeout for the worker to let go of the detector before closing it. */
const DETECTOR_RELEASE_WAIT_MS = 2000;
/** Housekeeping ticks (1 s) between checks of files that failed to read. */
const IO_RECHECK_TICKS = 5;

/** Analyses one image once; a half-written one is retried by the queue, later, not here. */
async function analyseOnce(file: ImageFile, deps: AnalyseDeps, signal: AbortSignal): Promise<{ result?: ImageResult; error?: StageError }> {
  try {
    return { result: await analyseImage(file.path, file.rel, deps, signal) };
  } catch (err) {
    return { error: err instanceof StageError ? err : new StageError('detect', 'failed', (err as Error).message) };
  }
}

/** What the journal compares to retry an io error: a chmod/chown (of the file or its directory) changes it. */
export function fileStamp(path: string): string {
  try {
    const s = statSync(path);
    const d = statSafe(resolve(path, '..'));
    return `${s.mode}|${s.uid}|${s.gid}|${d ? d.mode : '-'}`;
  } catch (err) {
    return `stat:${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

/** Config errors are retried when this changes (at a start with a different config). */
function hashConfig(cfg: object): string {
  return createHash('sha256').update(JSON.stringify(cfg)).digest('hex').slice(0, 16);
}

function restat(f: ImageFile): ImageFile {
  const s = statSafe(f.path);
  return s ? { ...f, size: s.size, mtimeMs: s.mtimeMs } : f;
}

function statSafe(p: string) {
  try { return statSync(p); } catch { return null; }
}

function round(x: number): number { return Math.round(x * 1e4) / 1e4; }
