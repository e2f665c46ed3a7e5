/**
 * The retained state messages (availability, info, status): what a dashboard sees the moment it
 * subscribes. Built here from the parts' current state; modules add their own status fields
 * with addStatus(name, fn) (e.g. `snoozed_until`), read at every heartbeat.
 */
import type { Config } from '../config/schema.js';
import { redact } from '../config/load.js';
import type { AlertTracker } from '../pipeline/alerts.js';
import type { StateStore } from '../pipeline/outbox.js';
import { envelope } from '../pipeline/payloads.js';
import type { Publisher } from '../pipeline/publish.js';
import type { WorkQueue } from '../pipeline/queue.js';
import type { ImageFile } from '../pipeline/watch.js';
import { VERSION } from '../version.js';
import { checkPairing, type ModelSlot } from './model-slot.js';
import type { DaemonStats } from './stats.js';

export interface RetainedDeps {
  cfg: Config;
  store: StateStore;
  models: ModelSlot;
  alerts: AlertTracker;
  stats: DaemonStats;
  /** Set once the publisher exists (it needs these payloads to connect). */
  publisher?: Pick<Publisher, 'connected' | 'lastError' | 'inflightCount'>;
  queue?: Pick<WorkQueue<ImageFile>, 'depth' | 'busy'>;
  watchDir: string;
}

export class RetainedState {
  /** The watch directory vanished: nothing comes in until it is back. */
  watchProblem: string | null = null;
  private readonly extra = new Map<string, () => unknown>();

  constructor(readonly d: RetainedDeps) {}

  addStatus(name: string, fn: () => unknown): void { this.extra.set(name, fn); }

  availability(state: string): Record<string, unknown> {
    return { ...envelope('availability', this.d.store.retainedSeq(), this.d.cfg.instrument.id, {}), state };
  }

  info(): Record<string, unknown> {
    const { detector, forest } = this.d.models;
    return envelope('info', this.d.store.retainedSeq(), this.d.cfg.instrument.id, {
      version: VERSION, node: process.versions.node, watch_dir: this.d.watchDir,
      detector: detector ? { ...detector.model, metadata: undefined, ep: detector.ep } : null,
      forest: forest ? { path: forest.path, name: forest.manifest.name, sha256: forest.sha256, features: forest.features, ...(detector ? { pairing: checkPairing(detector, forest) } : {}) } : null,
      model_error: this.d.models.error, config: redact(this.d.cfg),
    });
  }

  degradedReason(): string | null {
    const writeError = this.d.store.writeError;
    return this.d.models.error ?? this.watchProblem ?? (writeError ? `state log not writable (${writeError}): image intake paused until writes succeed` : null);
  }

  status(): Record<string, unknown> {
    const { cfg, store, stats, publisher, queue } = this.d;
    const reason = this.degradedReason();
    const extra = Object.fromEntries([...this.extra].map(([k, fn]) => [k, fn()]));
    return envelope('status', store.retainedSeq(), cfg.instrument.id, {
      state: reason ? 'degraded' : 'running', reason,
      queue: { depth: queue?.depth ?? 0, busy: queue?.busy ?? false, capacity: cfg.queue.capacity },
      counters: { processed: stats.processed, results: stats.results, errors: stats.errors, low: stats.low },
      ep: this.d.models.detector?.ep.active ?? null, outbox: { depth: store.outboxDepth, max: cfg.state.outbox_max, inflight: publisher?.inflightCount ?? 0 },
      broker: { connected: publisher?.connected ?? false, last_error: publisher?.lastError ?? null },
      alert: this.d.alerts.current, last_prediction: stats.last_prediction, uptime_s: Math.round(process.uptime()),
      ...extra,
    });
  }
}
