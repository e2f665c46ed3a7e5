/**
 * The agent's Prometheus metrics (issue 17 part 1), on an injected prom-client Registry: never
 * the global default one, so two agents in one process (tests) or a host application keep theirs
 * apart. Counters and histograms are fed by the daemon's result/error/alert events (a few array
 * increments per image: see bench/metrics-observe.ts); gauges read the live state only when
 * scraped (collect), so nothing is computed between scrapes.
 *
 * Names follow Prometheus conventions: temguard_ prefix, _total counters, base units (seconds).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AlertEvent } from '../pipeline/alerts.js';
import type { ImageResult, StageError } from '../pipeline/analyse.js';

/** What the scrape reads from the running agent; each is called once per scrape. */
export interface MetricsSources {
  queueDepth: () => number;
  outboxDepth: () => number;
  /** Seconds the oldest unpublished message has waited (0 when the outbox is empty). */
  outboxOldestAgeSeconds: () => number;
  brokerConnected: () => boolean;
  /** The execution provider the detector runs on, null before the models load. */
  executionProvider: () => string | null;
  /** Model identities (for an info metric), null before they load. */
  models: () => { detector: { name: string; sha256: string }; forest: { name: string; sha256: string } } | null;
  /** Whether a stall alert (nothing arriving) is active; absent when stall detection is off. */
  stallActive?: () => boolean;
}

/** F1 and interval width live on [0, 1]: 0.05 steps resolve a threshold of 0.5 to 0.6 well. */
const UNIT_BUCKETS = Array.from({ length: 20 }, (_, i) => Math.round((i + 1) * 0.05 * 100) / 100);
/** Stage latencies: a CPU tile run is seconds, a GPU one milliseconds. */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const STAGES = ['read', 'decode', 'detect', 'detect_pre', 'inference', 'detect_post', 'features', 'forest', 'physics', 'total', 'queue_wait'] as const;

export class AgentMetrics {
  private readonly processed: Counter<'outcome'>;
  private readonly errors: Counter<'stage' | 'code'>;
  private readonly low: Counter;
  private readonly f1: Histogram;
  private readonly width: Histogram;
  private readonly latency: Histogram<'stage'>;
  private readonly alertsStarted: Counter;
  private alertActive = 0;

  constructor(readonly registry: Registry, sources: MetricsSources) {
    const registers = [registry];
    this.processed = new Counter({ name: 'temguard_images_processed_total', help: 'Images journalled, by outcome (result or error).', labelNames: ['outcome'], registers });
    this.errors = new Counter({ name: 'temguard_image_errors_total', help: 'Images that failed, by pipeline stage and error code.', labelNames: ['stage', 'code'], registers });
    this.low = new Counter({ name: 'temguard_low_images_total', help: 'Images whose predicted F1 was below the live threshold.', registers });
    this.f1 = new Histogram({ name: 'temguard_predicted_f1', help: 'Predicted detection F1 per image.', buckets: UNIT_BUCKETS, registers });
    this.width = new Histogram({ name: 'temguard_predicted_f1_interval_width', help: 'Width (hi - lo) of the calibrated F1 interval per image, where the model carries one.', buckets: UNIT_BUCKETS, registers });
    this.latency = new Histogram({ name: 'temguard_stage_duration_seconds', help: 'Time per pipeline stage per image (timing_ms of the result).', labelNames: ['stage'], buckets: LATENCY_BUCKETS, registers });
    this.alertsStarted = new Counter({ name: 'temguard_alerts_started_total', help: 'Low-F1 alerts raised.', registers });
    const self = this;
    new Gauge({ name: 'temguard_alerts_active', help: 'Low-F1 alerts now active (0 or 1).', registers, collect() { this.set(self.alertActive); } });
    const stall = sources.stallActive;
    if (stall) new Gauge({ name: 'temguard_stall_active', help: 'No new image for stall.minutes inside the session window (0 or 1).', registers, collect() { this.set(stall() ? 1 : 0); } });
    new Gauge({ name: 'temguard_queue_depth', help: 'Images waiting for analysis.', registers, collect() { this.set(sources.queueDepth()); } });
    new Gauge({ name: 'temguard_outbox_depth', help: 'Messages journalled but not yet acknowledged by the broker.', registers, collect() { this.set(sources.outboxDepth()); } });
    new Gauge({ name: 'temguard_outbox_oldest_age_seconds', help: 'Age of the oldest unpublished message (0 when empty).', registers, collect() { this.set(sources.outboxOldestAgeSeconds()); } });
    new Gauge({ name: 'temguard_broker_connected', help: '1 while the publisher is connected to the broker.', registers, collect() { this.set(sources.brokerConnected() ? 1 : 0); } });
    new Gauge({
      name: 'temguard_execution_provider_info', help: 'The detector\'s active execution provider (value 1).', labelNames: ['provider'], registers,
      collect() { this.reset(); const ep = sources.executionProvider(); if (ep) this.set({ provider: ep }, 1); },
    });
    new Gauge({
      name: 'temguard_model_info', help: 'The loaded models (value 1), by role, name and sha256.', labelNames: ['role', 'name', 'sha256'], registers,
      collect() {
        this.reset();
        const m = sources.models();
        if (!m) return;
        this.set({ role: 'detector', name: m.detector.name, sha256: m.detector.sha256 }, 1);
        this.set({ role: 'forest', name: m.forest.name, sha256: m.forest.sha256 }, 1);
      },
    });
  }

  /** One journalled result. */
  result(r: ImageResult): void {
    this.processed.inc({ outcome: 'result' });
    const p = r.prediction;
    this.f1.observe(p.f1);
    if (p.low) this.low.inc();
    if (p.interval) this.width.observe(p.interval.hi - p.interval.lo);
    const t = r.timing_ms as Record<string, number | undefined>;
    for (const stage of STAGES) {
      const ms = t[stage];
      if (typeof ms === 'number' && Number.isFinite(ms)) this.latency.observe({ stage }, ms / 1000);
    }
  }

  /** One image that failed (error null: not a stage error, e.g. quarantined). */
  error(e: StageError | null): void {
    this.processed.inc({ outcome: 'error' });
    this.errors.inc({ stage: e?.stage ?? 'unknown', code: e?.code ?? 'unknown' });
  }

  alert(ev: AlertEvent): void {
    if (ev.state === 'new') { this.alertsStarted.inc(); this.alertActive = 1; }
    else if (ev.state === 'end') this.alertActive = 0;
  }
}
