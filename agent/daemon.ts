/**
 * The daemon: the ordered start list and the teardown stack. Each step builds one part from
 * agent/daemon/ (see agent/daemon/README.md for where a new module hooks in) and pushes its
 * stop; stop runs them in reverse. One stop path serves SIGTERM, SIGINT and fatal errors
 * (commands/run.ts wires the signals); a failed start undoes what had started.
 *
 * Per image: watcher -> intake -> queue -> worker (analyse, alerts, one fsynced journal +
 * outbox line) -> publisher, and the `result`/`error`/`alert` events for side modules.
 */
import { resolve } from 'node:path';
import type { Config } from './config/schema.js';
import { decodeOptions, detectorOptions } from './config/derived.js';
import type { Logger } from './log.js';
import { createNotifier, watchdogIntervalMs, type Notifier } from './notify.js';
import { AlertTracker } from './pipeline/alerts.js';
import { createDetector } from './pipeline/detect.js';
import { DEFAULT_FOREST_PATH, loadForest } from './pipeline/forest.js';
import { acquireStateLock } from './pipeline/lock.js';
import { publisherOptions, topicRoot } from './pipeline/mqtt-options.js';
import { StateStore } from './pipeline/outbox.js';
import { errorClass } from './pipeline/payloads.js';
import { Publisher } from './pipeline/publish.js';
import { WorkQueue } from './pipeline/queue.js';
import { startSchedules } from './pipeline/schedule.js';
import { imageKey, scanDir, startWatcher, type ImageFile, type WatchOptions } from './pipeline/watch.js';
import { VERSION } from './version.js';
import { OwnImages } from './web/own-images.js';
import { startBrokerIfEmbedded } from './daemon/broker.js';
import { systemClock, type Clock } from './daemon/clock.js';
import { DigestTotals, sendDigest } from './daemon/digest.js';
import { configHasher, doneCheck } from './daemon/done.js';
import { DaemonEvents } from './daemon/events.js';
import { Housekeeping } from './daemon/housekeeping.js';
import { Intake } from './daemon/intake.js';
import { StateMessages } from './daemon/messages.js';
import { ModelSlot } from './daemon/model-slot.js';
import { RetainedState } from './daemon/retained.js';
import { imageSource } from './daemon/source.js';
import { newStats, type DaemonStats } from './daemon/stats.js';
import { Teardown } from './daemon/teardown.js';
import { startWatchdog } from './daemon/watchdog.js';
import { analyseWith, DEFAULT_MAX_ITEMS, serialised, Worker } from './daemon/worker.js';
import { rescore } from './control/rescore.js';
import { requestSchema } from './control/registry.js';
import { AlertGate } from './control/alert-gate.js';
import { registerBuiltinCommands } from './control/builtin.js';
import { CommandRegistry } from './control/registry.js';
import { routerMqttOptions, startCommandRouter } from './control/router.js';
import { LiveSettings } from './control/settings.js';
import { notificationsFromConfig } from './notifications/start.js';
import { createPhysics } from './physics/measure.js';
import { trainingDefocusRange } from './physics/training-range.js';
import { startDaemonSession } from './stats/daemon-session.js';
import { calibratedAnalyse, startLabels } from './labels/start.js';
import { registerLabelCommand } from './labels/command.js';
import { startDaemonMetrics } from './metrics/start.js';
import { startStall } from './stall/start.js';

export { checkPairing } from './daemon/model-slot.js';
export { fileStamp } from './daemon/files.js';
export type { DaemonStats } from './daemon/stats.js';

export interface DaemonDeps {
  log: Logger;
  env?: NodeJS.ProcessEnv;
  notifier?: Notifier;
  clock?: Clock;
}

export interface Daemon {
  readonly watchDir: string;
  readonly brokerUrl: string;
  readonly stats: DaemonStats;
  readonly events: DaemonEvents;
  stop(reason: string): Promise<void>;
}

export async function startDaemon(cfg: Config, deps: DaemonDeps): Promise<Daemon> {
  const teardown = new Teardown(deps.log);
  try {
    return await build(cfg, deps, teardown);
  } catch (err) {
    await teardown.run();
    throw err;
  }
}

async function build(cfg: Config, deps: DaemonDeps, teardown: Teardown): Promise<Daemon> {
  const { log } = deps;
  const clock = deps.clock ?? systemClock;
  const notifier = deps.notifier ?? createNotifier(log, deps.env);
  const decode = decodeOptions(cfg); // derived once, used for every image and by the live view
  const keepMs = cfg.state.keep_days * 86_400_000;
  const stats = newStats(clock.now());
  const digest = new DigestTotals(clock.now());
  const events = new DaemonEvents(log.child({ component: 'events' }));
  // The tracker reads its options at every image: threshold/set changes enter/exit_after through `settings`.
  const alertOptions = {
    enterAfter: cfg.alert.enter_after, exitAfter: cfg.alert.exit_after, updateEvery: cfg.alert.update_every,
    defocusRange: trainingDefocusRange(detectorOptions(cfg).modelPath), // for the hint: "the detector was trained on ..."
  };
  const alerts = new AlertTracker(alertOptions);
  const settings = new LiveSettings(cfg.forest.f1_threshold, alertOptions);
  const gate = new AlertGate(clock);
  const commands = new CommandRegistry(); // modules register theirs before the router starts (step 7b)

  // 1. State: one agent per state directory (a second one exits here, naming the first), then journal + outbox.
  const stateDir = resolve(cfg.state.dir);
  const lock = acquireStateLock(stateDir, log.child({ component: 'state' }));
  teardown.push(() => lock.release(), 'lock');
  const store = StateStore.open(stateDir, log.child({ component: 'state' }));
  teardown.push(() => store.close(), 'state');
  const messages = new StateMessages(store, cfg.instrument.id, log, clock);

  // 2. Broker (embedded) and publisher. A site broker that is down is not fatal.
  const broker = await startBrokerIfEmbedded(cfg, deps.env, log, teardown);
  const models = new ModelSlot({
    load: {
      detector: () => createDetector(detectorOptions(cfg), log.child({ component: 'detect' })),
      forest: () => loadForest(cfg.forest.model ?? DEFAULT_FOREST_PATH, { threshold: cfg.forest.f1_threshold }),
    },
    log, clock,
    onLoaded: () => publisher.publishRetained('info', retained.info()), // the one sent at connect may predate the models
    onFailed: (err) => {
      messages.bestEffort(() => store.recordMessages([messages.make('error', { stage: 'startup', code: err.name, class: errorClass('startup', err.name, err.message), message: err.message, image: null })]));
      publisher.pump();
    },
  });
  const retained = new RetainedState({ cfg, store, models, alerts, stats, watchDir: '' });
  // Read once (password file, TLS files): the live view's subscriber uses the same settings.
  const pubOptions = publisherOptions(cfg, broker.url, broker.embedded, deps.env);
  const publisher: Publisher = new Publisher(pubOptions, {
    store, log: log.child({ component: 'mqtt' }),
    retainedOnConnect: () => ({ availability: retained.availability('online'), info: retained.info(), status: retained.status() }),
    lastWill: retained.availability('offline'), // the broker sends this if we vanish; its ts is when it was registered (at start)
  });
  retained.d.publisher = publisher;
  publisher.start();
  teardown.push(() => publisher.stop(retained.availability('stopped'), 5000), 'publisher');
  const publishStatus = () => publisher.publishRetained('status', retained.status());

  // 2a. Notifications by webhook and mail (notify.*; none by default): they listen to the alert, stall and
  // error events and only enqueue, so a receiver that is down never holds up an image.
  const notifications = notificationsFromConfig(cfg, { events, clock, log: log.child({ component: 'notify' }) }, deps.env ?? process.env);
  if (notifications) {
    teardown.push(notifications.start(), 'notifications');
    retained.addStatus('notifications', () => notifications.status());
  }

  // 2b. Spot-check labels beside the journal: feedback through the outbox, the site calibration on each prediction.
  const labels = startLabels({ cfg, stateDir, events, store, messages, pump: () => publisher.pump(), now: () => clock.now(), log: log.child({ component: 'labels' }) });

  // 2c. "Nothing is arriving" (agent/stall/; off unless stall.minutes > 0): a stall alert through the journal.
  const stall = startStall({
    minutes: cfg.stall.minutes, window: cfg.stall.window, clock, log: log.child({ component: 'stall' }),
    publish: (ev) => {
      const msg = messages.make('alert', ev);
      messages.bestEffort(() => store.recordMessages([msg]));
      events.emit('stall', { msg });
      publisher.pump();
    },
  });
  if (stall) { teardown.push(() => stall.stop(), 'stall'); retained.addStatus('stall', () => stall.current); }

  // 2d. Prometheus metrics (agent/metrics/): fed by the events, gauges read only when scraped;
  // served at /metrics on the live view and, with metrics.listen, on a listener of their own.
  const metrics = await startDaemonMetrics({
    listen: cfg.metrics.listen, events, store, now: () => clock.now(), log: log.child({ component: 'metrics' }),
    sources: {
      queueDepth: () => retained.d.queue?.depth ?? 0,
      brokerConnected: () => publisher.connected,
      executionProvider: () => models.detector?.ep.active ?? null,
      ...(stall ? { stallActive: () => stall.current !== null } : {}),
      models: () => (models.ready ? { detector: { name: models.detector!.model.name, sha256: models.detector!.model.sha256 }, forest: { name: models.forest!.manifest.name, sha256: models.forest!.sha256 } } : null),
    },
  });
  teardown.push(() => metrics.close(), 'metrics');

  // 2e. The live view: a web page that follows the same topics as any other dashboard.
  // Overlays are drawn only for images this agent analysed (never for paths read off MQTT).
  const own = cfg.http.listen ? new OwnImages({ max: 8, watchDir: () => retained.d.watchDir || null }) : null;
  if (cfg.http.listen) {
    const { startWebServer, webMqttOptions } = await import('./web/server.js');
    const web = await startWebServer({ listen: cfg.http.listen, mqttUrl: broker.url, root: topicRoot(cfg), mqttOptions: webMqttOptions(pubOptions), own: own!, decode, labels, metrics: metrics.registry, log: log.child({ component: 'web' }) });
    teardown.push(() => web.close(), 'web');
    log.info('live view', { url: web.url });
  }

  // 3. Models; closed only after the drain (teardown runs in reverse): the worker takes no image by then.
  const modelsOk = await models.load();
  teardown.push(() => models.close(), 'models');

  // 4. Where images come from: the configured directory, or the demo microscope.
  const watchDir = await imageSource(cfg, log, teardown);
  retained.d.watchDir = watchDir;
  publisher.publishRetained('info', retained.info()); // the ones sent so far predate watch_dir

  // 5. The queue, its worker, and the intake that feeds it.
  const configHash = configHasher(cfg, models);
  const alreadyDone = doneCheck(store, configHash);
  const physics = createPhysics(cfg.statistics.thickness_nm); // one fringe-model cache for the run
  // Session statistics and manifest: written on each digest and (pushed before the drain, so run after it) at stop.
  const session = startDaemonSession({ events, stateDir, now: () => clock.now(), log: log.child({ component: 'session' }) });
  teardown.push(() => session.writeManifest(), 'session-manifest');
  const watchOpts: WatchOptions = {
    dir: watchDir, extensions: cfg.watch.extensions, ignorePrefixes: cfg.watch.ignore_prefixes, ignoreSuffixes: cfg.watch.ignore_suffixes,
    stableMs: cfg.watch.stable_ms, pollMs: cfg.watch.poll_ms, usePolling: cfg.watch.use_polling,
  };
  // One analysis at a time: the worker's and a rescore's share it.
  const analyse = serialised(calibratedAnalyse(analyseWith(() => ({ detector: models.detector!, forest: models.forest!, decode, maxItems: DEFAULT_MAX_ITEMS, physics })), labels));
  const worker = new Worker({
    store, messages, alerts, configHash, alreadyDone, stats, digest, events, own, log,
    analyse,
    intake: { ioFailure: (f) => intake.ioFailure(f) },
    pause: () => queue.pause(), pump: () => publisher.pump(),
    retryTruncated: cfg.watch.retry_truncated, retryDelayMs: cfg.watch.retry_delay_ms, outboxMax: cfg.state.outbox_max,
    threshold: () => settings.f1Threshold, alertFilter: (ev) => gate.pass(ev),
  });
  const queue: WorkQueue<ImageFile> = new WorkQueue<ImageFile>({
    capacity: cfg.queue.capacity, key: imageKey, worker: (f, waited) => worker.process(f, waited), log: log.child({ component: 'queue' }),
    onIdle: () => intake.onIdle(),
  });
  retained.d.queue = queue;
  if (!modelsOk) queue.pause();
  const intake = new Intake({ queue, alreadyDone, scan: () => scanDir(watchOpts, log), keepMs, capacity: cfg.queue.capacity, clock, log });

  // 6. Watch, then catch up (watch first so nothing slips between the scan and the watch).
  const watcher = await startWatcher(watchOpts, (f) => { stall?.arrived(f.rel); intake.arrived(f); }, log.child({ component: 'watch' }), {
    onLost: (reason) => { retained.watchProblem = `watch directory lost (${reason}): nothing is processed until it is back`; publishStatus(); },
    onRestored: () => { retained.watchProblem = null; publishStatus(); void intake.catchUp('watch directory is back'); },
  });
  teardown.push(() => worker.drain(queue, cfg.queue.drain_timeout_s * 1000), 'drain');
  teardown.push(() => watcher.close(), 'watcher');
  if (cfg.watch.catch_up) await intake.catchUp('start');
  intake.started();

  // 7. Schedules: status heartbeat, digest, pruning; housekeeping retries models and resumes after the outbox drains.
  const schedules = startSchedules([
    { name: 'status', expression: cfg.schedule.status, run: publishStatus },
    { name: 'digest', expression: cfg.schedule.digest, run: () => { sendDigest({ totals: digest, store, messages, alerts, pump: () => publisher.pump(), clock, session: () => session.summary(), labels: () => labels.totals(true) }); void session.writeManifest(); } },
    { name: 'prune', expression: cfg.schedule.prune, run: () => { store.compact(keepMs); } }, // a failure keeps the old log
  ], log.child({ component: 'schedule' }));
  teardown.push(() => schedules.stop(), 'schedules');

  // 7b. Commands over MQTT: <root>/request/<name> -> <root>/response/<name> (agent/control/).
  registerBuiltinCommands(commands, { gate, settings, currentAlert: () => alerts.current, changed: publishStatus, log: log.child({ component: 'control' }) });
  registerLabelCommand(commands, labels);
  commands.register('rescore', requestSchema('rescore'), (p) => rescore({
    store, messages, analyse, watchDir: () => watchDir, pump: () => publisher.pump(), threshold: () => settings.f1Threshold, log: log.child({ component: 'rescore' }),
    models: () => (models.ready ? { detector: models.detector!.model.sha256, forest: models.forest!.sha256 } : null),
  }, p));
  retained.addStatus('control', () => ({ ...gate.state(), settings: settings.values() }));
  const router = await startCommandRouter({ url: broker.url, mqtt: routerMqttOptions(pubOptions), root: topicRoot(cfg), instrument: cfg.instrument.id, registry: commands, clock, log: log.child({ component: 'control' }) });
  teardown.push(() => router.stop(), 'commands');
  const housekeeping = new Housekeeping({ store, models, messages, intake, resume: () => queue.resume(), publishStatus, pump: () => publisher.pump(), outboxMax: cfg.state.outbox_max, keepMs, log });
  teardown.push(housekeeping.start(clock), 'housekeeping');

  // 8. systemd: ready, and a watchdog that only pets while the pipeline is not stuck.
  const wd = watchdogIntervalMs(deps.env);
  if (wd) teardown.push(startWatchdog(wd, () => ({ busy: queue.busy, depth: queue.depth, processed: stats.processed }), notifier, clock), 'watchdog');
  notifier.ready();
  log.info('temguard running', { version: VERSION, instrument: cfg.instrument.id, watch: watchDir, broker: broker.url.replace(/\/\/[^@/]*@/, '//***@'), topics: `${topicRoot(cfg)}/#`, ep: models.detector?.ep.active ?? null });

  let stopped = false;
  return {
    watchDir, brokerUrl: broker.url, stats, events,
    stop: async (reason: string) => {
      if (stopped) return;
      stopped = true;
      notifier.stopping();
      log.info('stopping', { reason, queued: queue.depth, outbox: store.outboxDepth });
      await teardown.run();
      log.info('stopped', { processed: stats.processed });
    },
  };
}
