/**
 * One channel's outgoing queue: bounded, in memory, sent one at a time in order, retried with
 * exponential backoff while the receiver is down. Nothing here is awaited by the pipeline:
 * push() returns at once; when the queue is full the oldest notice is dropped and counted.
 * Notifications are not the durable record (the MQTT outbox is): a restart loses the queue.
 */
import type { Logger } from '../log.js';
import type { Notice } from './notice.js';

export interface Channel {
  readonly name: string;
  send(n: Notice): Promise<void>;
  close?(): void;
}

/** A failure that retrying cannot fix (a 4xx, refused credentials): the notice is dropped at once. */
export class PermanentError extends Error {
  override name = 'PermanentError';
}

export interface DeliveryOptions {
  queueMax: number;
  retryInitialMs: number;
  retryMaxMs: number;
  attempts: number;
}

/** Timers, injected so tests can see the backoff; default setTimeout, unref'd. */
export type Later = (ms: number, fn: () => void) => () => void;
export const realLater: Later = (ms, fn) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

export interface DeliveryStats {
  sent: number;
  failed: number;
  dropped: number;
  retries: number;
  queued: number;
  /** The last failure's reason (no secrets: status codes and error codes only). */
  last_error: string | null;
}

export class Delivery {
  private readonly queue: Notice[] = [];
  private busy = false;
  private attempt = 0;
  private cancelRetry: (() => void) | null = null;
  private stopped = false;
  private idle: (() => void) | null = null;
  readonly stats: DeliveryStats = { sent: 0, failed: 0, dropped: 0, retries: 0, queued: 0, last_error: null };
  /** Called after each notice leaves the queue (sent, failed or dropped): the tests wait on it. */
  onSettled: ((n: Notice, outcome: 'sent' | 'failed' | 'dropped') => void) | null = null;

  constructor(private readonly channel: Channel, private readonly o: DeliveryOptions, private readonly log: Logger, private readonly later: Later = realLater) {}

  push(n: Notice): void {
    if (this.stopped) return;
    this.queue.push(n);
    if (this.queue.length > this.o.queueMax) {
      // The head may be in flight; drop the oldest one waiting behind it.
      const at = this.busy ? 1 : 0;
      const dropped = this.queue.splice(at, 1)[0]!;
      if (at === 0) this.attempt = 0; // it was the one waiting for a retry
      this.stats.dropped++;
      this.log.warn('notification queue full: oldest dropped', { channel: this.channel.name, dropped: this.stats.dropped, title: dropped.title });
      this.onSettled?.(dropped, 'dropped');
    }
    this.stats.queued = this.queue.length;
    this.next();
  }

  /**
   * At shutdown: resolves once the queue is empty (an alert's end raised by the drain still
   * goes out) or after ms, whichever is first; a receiver that is down does not hold the stop.
   */
  async finish(ms: number): Promise<void> {
    if (this.queue.length === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref();
      this.idle = () => { clearTimeout(timer); resolve(); };
    });
    this.idle = null;
  }

  stop(): void {
    this.stopped = true;
    this.cancelRetry?.();
    this.channel.close?.();
  }

  private next(): void {
    if (this.busy || this.cancelRetry || this.stopped || this.queue.length === 0) return;
    this.busy = true;
    const n = this.queue[0]!;
    this.channel.send(n).then(() => this.settle(n, 'sent'), (err: unknown) => this.failed(n, err));
  }

  private settle(n: Notice, outcome: 'sent' | 'failed'): void {
    this.busy = false;
    this.attempt = 0;
    if (this.queue[0] === n) this.queue.shift();
    this.stats.queued = this.queue.length;
    if (outcome === 'sent') this.stats.sent++;
    else this.stats.failed++;
    this.onSettled?.(n, outcome);
    if (this.queue.length === 0) this.idle?.();
    this.next();
  }

  private failed(n: Notice, err: unknown): void {
    const reason = err instanceof Error ? err.message : String(err);
    this.stats.last_error = reason;
    this.attempt++;
    if (err instanceof PermanentError || this.attempt >= this.o.attempts) {
      this.log.error('notification not delivered', { channel: this.channel.name, reason, attempts: this.attempt, title: n.title });
      this.settle(n, 'failed');
      return;
    }
    const wait = Math.min(this.o.retryMaxMs, this.o.retryInitialMs * 2 ** (this.attempt - 1));
    this.log.warn('notification receiver failed: retrying', { channel: this.channel.name, reason, attempt: this.attempt, retry_ms: wait });
    this.busy = false;
    this.stats.retries++;
    this.cancelRetry = this.later(wait, () => { this.cancelRetry = null; this.next(); });
  }
}
