/**
 * The queue's worker: one image from "taken off the queue" to "journalled": crash-loop
 * quarantine, analysis, retry of a half-written file, result/alert or error messages in one
 * fsynced line, counters, then the events side modules listen to. A state write that fails
 * puts the image back at the front and pauses the queue; a full outbox pauses it too
 * (housekeeping resumes it).
 */
import type { Logger } from '../log.js';
import type { AlertEvent, AlertTracker } from '../pipeline/alerts.js';
import { analyseImage, DEFAULT_MAX_ITEMS, StageError, type AnalyseDeps, type ImageResult } from '../pipeline/analyse.js';
import { StateWriteError, type OutMsg, type RetryWhen, type StateStore } from '../pipeline/outbox.js';
import { errorClass, type ErrorClass } from '../pipeline/payloads.js';
import type { Retry, WorkQueue } from '../pipeline/queue.js';
import { imageKey, type ImageFile } from '../pipeline/watch.js';
import type { OwnImages } from '../web/own-images.js';
import type { DigestTotals } from './digest.js';
import type { DaemonEvents } from './events.js';
import { fileStamp, restat, round4 } from './files.js';
import type { Intake } from './intake.js';
import type { Reuse, StateMessages } from './messages.js';
import type { DaemonStats } from './stats.js';

export type Analyse = (file: ImageFile, signal: AbortSignal) => Promise<{ result?: ImageResult; error?: StageError }>;

export interface WorkerDeps {
  store: StateStore;
  messages: StateMessages;
  alerts: AlertTracker;
  analyse: Analyse;
  configHash: () => string;
  alreadyDone: (f: ImageFile) => boolean;
  intake: Pick<Intake, 'ioFailure'>;
  stats: DaemonStats;
  digest: DigestTotals;
  events: DaemonEvents;
  own: OwnImages | null;
  pause: () => void;
  pump: () => void;
  log: Logger;
  retryTruncated: number;
  /** The live F1 threshold (threshold/set changes it): an image is low below it. */
  threshold?: () => number;
  /** Whether an alert event is published (ack/snooze); the tracker sees every image either way. */
  alertFilter?: (ev: AlertEvent) => boolean;
  retryDelayMs: number;
  outboxMax: number;
}

/** Waits this long after a drain timeout for the worker to let go of the detector before closing it. */
export const DETECTOR_RELEASE_WAIT_MS = 2000;

export class Worker {
  private readonly tries = new Map<string, number>(); // rel -> analyses so far (a file still being written is retried)
  // abort: a stop that times out interrupts the detection in flight between tiles.
  private abandoned = false;
  private inFlight: string | null = null;
  private readonly abort = new AbortController();

  constructor(private readonly d: WorkerDeps) {}

  async process(file: ImageFile, waitedMs: number): Promise<void | Retry> {
    const { store } = this.d;
    if (this.abandoned || this.d.alreadyDone(file)) return;
    const key = imageKey(file);
    const reuse = [...store.reusableIds(key)];
    try {
      if (store.unfinishedRuns(key) >= 2) return this.quarantine(file, key, store.unfinishedRuns(key), reuse);
      store.markRunning(key); // if this image takes the agent down, the next start knows
    } catch (err) {
      if (err instanceof StateWriteError) return this.stateFailed(err);
      throw err;
    }
    this.inFlight = key;
    const attempt = (this.tries.get(file.rel) ?? 0) + 1;
    this.tries.set(file.rel, attempt);
    const { result, error } = await this.d.analyse(file, this.abort.signal);
    this.inFlight = null;
    // A stop timed out while this ran (perhaps on a detector already closed): leave it
    // un-journalled, so it is redone at next start; nothing was published for it.
    if (this.abandoned) return;
    if (error?.retryable && attempt <= this.d.retryTruncated) {
      this.d.log.info('image incomplete or unreadable; retrying later (other images go first)', { image: file.rel, code: error.code, attempt, in_ms: this.d.retryDelayMs });
      try { store.markLeft(key); } catch { /* a stale mark only makes a crash count once more */ }
      return { retryAfterMs: this.d.retryDelayMs };
    }
    return this.record(file, key, attempt, waitedMs, reuse, result, error);
  }

  /** Journal the outcome (one line), then count, publish, and tell the listeners. */
  private record(file: ImageFile, key: string, attempt: number, waitedMs: number, reuse: Reuse, result?: ImageResult, error?: StageError): void | Retry {
    const { store, messages } = this.d;
    const current = restat(file); // the key of the bytes we analysed (a retry may have waited for the writer)
    let retry: RetryWhen | undefined;
    const msgs: OutMsg[] = [];
    let alert: AlertEvent | null = null;
    try {
      if (result) {
        result.timing_ms.queue_wait = Math.round(waitedMs);
        this.applyThreshold(result);
        msgs.push(messages.make('result', result, reuse));
        alert = this.d.alerts.observe(result.prediction, result.features, file.rel, undefined, result.physics?.defocus.defocus_um ?? null);
        if (alert && this.d.alertFilter && !this.d.alertFilter(alert)) { this.d.log.info('alert not published (acknowledged or snoozed)', { alert_id: alert.alert_id, state: alert.state }); alert = null; }
        if (alert) msgs.push(messages.make('alert', alert, reuse));
      } else {
        const cls = errorClass(error!.stage, error!.code, error!.message);
        retry = cls === 'config' || cls === 'model' ? { config: this.d.configHash() } : cls === 'io' ? { file: fileStamp(file.path) } : undefined;
        msgs.push(messages.make('error', { image: { path: file.path, rel: file.rel }, stage: error!.stage, code: error!.code, class: cls, message: error!.message, attempts: attempt }, reuse));
      }
      store.recordImage(imageKey(current), msgs, { retry, started: key });
    } catch (err) {
      if (err instanceof StateWriteError) { this.tries.delete(file.rel); return this.stateFailed(err); }
      throw err;
    }
    this.tries.delete(file.rel);
    this.count(file, result, error, retry, alert);
    this.d.pump();
    this.emit(file, msgs, result, error, alert);
    if (store.outboxDepth >= this.d.outboxMax) {
      this.d.log.warn('outbox full: pausing image processing until the broker acknowledges (images wait on disk)', { depth: store.outboxDepth });
      this.d.pause();
    }
  }

  /** The forest judged `low` against the config's threshold; the live one may differ. */
  private applyThreshold(result: ImageResult): void {
    if (!this.d.threshold) return;
    const p = result.prediction;
    p.threshold = this.d.threshold();
    p.low = p.f1 < p.threshold;
  }

  private emit(file: ImageFile, msgs: OutMsg[], result: ImageResult | undefined, error: StageError | undefined, alert: AlertEvent | null): void {
    if (result) this.d.events.emit('result', { file, result, msg: msgs[0]! });
    else this.d.events.emit('error', { file, error: error ?? null, msg: msgs[0]! });
    if (alert) this.d.events.emit('alert', { event: alert, msg: msgs[1]! });
  }

  /** A state write failed: the image is not journalled; it goes back to the front and intake pauses. */
  private stateFailed(err: StateWriteError): Retry {
    this.d.pause();
    this.d.log.warn('image not journalled (state log not writable); it waits and is redone when writes succeed', { error: err.message });
    return { retryAfterMs: 0 };
  }

  /** Counters and logs, once the image is journalled. */
  private count(file: ImageFile, result: ImageResult | undefined, error: StageError | undefined, retry: RetryWhen | undefined, alert: AlertEvent | null): void {
    const { stats, log } = this.d;
    stats.processed++;
    if (result) {
      this.d.own?.record(result);
      const p = result.prediction;
      stats.results++;
      this.d.digest.result(p.f1, p.low);
      if (p.low) stats.low++;
      stats.last_prediction = { image: file.rel, f1: p.f1, low: p.low, ...(result.physics ? { defocus_um: result.physics.defocus.defocus_um } : {}) };
      if (alert) log.warn(`alert ${alert.state}`, { alert_id: alert.alert_id, mean_f1: alert.mean_f1, hint: alert.hint });
      log.info('result', { image: file.rel, f1: round4(p.f1), low: p.low, detections: result.detections.count, ms: result.timing_ms.total });
    } else {
      stats.errors++;
      this.d.digest.error();
      if (retry?.file !== undefined) this.d.intake.ioFailure(restat(file));
      log.warn('image failed', { image: file.rel, stage: error!.stage, code: error!.code, class: errorClass(error!.stage, error!.code, error!.message), error: error!.message, ...(retry ? { retried_when: retry.config ? 'the config or a model changes' : 'the file changes (mtime or permissions)' } : {}) });
    }
  }

  /** In flight at two crashes already: an error instead of a third try (a 16384² PNG OOM-killed the agent at every start). */
  private quarantine(file: ImageFile, key: string, crashes: number, reuse: Reuse): void {
    const message = `crashed the agent twice (in flight at ${crashes} crashes); quarantined, not tried again. A changed file (new size or mtime) is tried afresh`;
    const msg = this.d.messages.make('error', { image: { path: file.path, rel: file.rel }, stage: 'analyse', code: 'crash_loop', class: 'input' satisfies ErrorClass, message, attempts: crashes }, reuse);
    this.d.store.recordImage(key, [msg]);
    this.d.stats.processed++; this.d.stats.errors++; this.d.digest.error();
    this.d.log.error('image quarantined: it crashed the agent twice', { image: file.rel, crashes });
    this.d.pump();
    this.d.events.emit('error', { file, error: null, msg });
  }

  /**
   * The stop's drain: whatever has not finished in time is left un-journalled (redone at next
   * start); the detection in flight is interrupted between tiles, and the detector is closed
   * only once the worker has let go of it (bounded: the stop must fit TimeoutStopSec).
   */
  async drain(queue: WorkQueue<ImageFile>, timeoutMs: number): Promise<void> {
    if (await queue.drain(timeoutMs)) return;
    this.abandoned = true;
    this.abort.abort(new Error('stopping: drain timeout'));
    const left = queue.depth + queue.waiting + (this.inFlight ? 1 : 0);
    queue.clear();
    if (this.inFlight) { try { this.d.store.markLeft(this.inFlight); } catch { /* counted as a crash at worst */ } }
    this.d.log.warn('drain timeout: unfinished images are not journalled and will be processed at next start', { left, in_flight: this.inFlight });
    if (!(await queue.idle(DETECTOR_RELEASE_WAIT_MS))) this.d.log.warn('the image in flight did not finish; closing the detector under it (its outcome is discarded)', {});
  }
}

/** One analysis at a time, whoever asks (the worker, a rescore): the detector takes one image at once. */
export function serialised(analyse: Analyse): Analyse {
  let last: Promise<unknown> = Promise.resolve();
  return (file, signal) => {
    const run = last.then(() => analyse(file, signal));
    last = run.catch(() => undefined);
    return run;
  };
}

/** Analyses one image once with the slot's models; a half-written one is retried by the queue, later, not here. */
export function analyseWith(deps: () => AnalyseDeps): Analyse {
  return async (file, signal) => {
    try {
      return { result: await analyseImage(file.path, file.rel, deps(), signal) };
    } catch (err) {
      return { error: err instanceof StageError ? err : new StageError('detect', 'failed', (err as Error).message) };
    }
  };
}

export { DEFAULT_MAX_ITEMS };
