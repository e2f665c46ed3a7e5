/**
 * The hourly digest: totals since the last one, journalled and published like a result. While
 * the state log fails no digest is sent and the totals carry over to the next one.
 */
import type { StateStore } from '../pipeline/outbox.js';
import type { Clock } from './clock.js';
import { round4 } from './files.js';
import type { StateMessages } from './messages.js';

export interface DigestBody {
  since: string; images: number; errors: number; low: number; alerts_started: number; mean_f1: number | null;
  /** The session's statistics so far (agent/stats/session.ts), when that module runs. */
  session?: unknown;
  /** Spot-check labels since the last digest (agent/labels), when that module runs. */
  labels?: unknown;
}

export class DigestTotals {
  private images = 0;
  private errors = 0;
  private low = 0;
  private sumF1 = 0;
  private since: number;

  constructor(now: number) { this.since = now; }

  result(f1: number, low: boolean): void { this.images++; this.sumF1 += f1; if (low) this.low++; }
  error(): void { this.images++; this.errors++; }

  body(alertsStarted: number): DigestBody {
    const scored = this.images - this.errors;
    return {
      since: new Date(this.since).toISOString(), images: this.images, errors: this.errors, low: this.low,
      alerts_started: alertsStarted, mean_f1: scored > 0 ? round4(this.sumF1 / scored) : null,
    };
  }

  reset(now: number): void { Object.assign(this, { images: 0, errors: 0, sumF1: 0, low: 0, since: now }); }
}

export interface DigestDeps {
  totals: DigestTotals;
  store: StateStore;
  messages: StateMessages;
  /** Alerts started since the last digest: read here, and zeroed once the digest is journalled. */
  alerts: { started: number };
  pump: () => void;
  clock: Clock;
  /** Adds the session block (statistics over the trusted images since the agent started). */
  session?: () => unknown;
  /** Adds the labels block; called once per digest journalled (it resets its totals). */
  labels?: () => unknown;
}

/** The digest job: returns the body it journalled, or null when the state log is failing. */
export function sendDigest(d: DigestDeps): DigestBody | null {
  if (d.store.writeError) return null;
  const body: DigestBody = { ...d.totals.body(d.alerts.started), ...(d.session ? { session: d.session() } : {}), ...(d.labels ? { labels: d.labels() } : {}) };
  d.store.recordMessages([d.messages.make('digest', body)]);
  d.pump();
  d.totals.reset(d.clock.now());
  d.alerts.started = 0;
  return body;
}
