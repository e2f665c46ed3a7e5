/**
 * Queue: images wait here in arrival order and are processed one at a time (the detector
 * uses all cores for one image; two at once would only make both late). Bounded: when
 * full, push() says so and the caller leaves the file on disk for a later rescan, so a
 * burst of thousands of files cannot exhaust memory and nothing is lost. Duplicate keys
 * (the same file reported twice) are dropped. A worker that wants another try later returns
 * { retryAfterMs }: the item waits outside the line (still counted as queued for duplicates)
 * and rejoins it at the back when due, so one file that is still being written does not hold
 * up the images behind it. 0 puts it back at the front (the caller paused the queue for a fault).
 */
import type { Logger } from '../log.js';

export type PushResult = 'queued' | 'duplicate' | 'full';

/** What a worker returns to have its item tried again later instead of finished. */
export interface Retry { retryAfterMs: number }

export interface QueueOptions<T> {
  capacity: number;
  key: (item: T) => string;
  worker: (item: T, waitedMs: number) => Promise<void | Retry>;
  /** Called whenever the queue becomes empty and idle (used to trigger an overflow rescan). */
  onIdle?: () => void;
  log: Logger;
}

export class WorkQueue<T> {
  private readonly items: { item: T; key: string; at: number }[] = [];
  private readonly keys = new Set<string>();
  private readonly later = new Map<string, NodeJS.Timeout>(); // key -> timer of an item waiting for its retry
  private running = false;
  private paused = false;
  private stopped = false;
  private leftAtStop = 0; // items that wanted a retry after the drain began
  private idleWaiters: ((allDone: boolean) => void)[] = [];
  processed = 0;
  failed = 0;

  constructor(private readonly o: QueueOptions<T>) {}

  get depth(): number { return this.items.length; }
  get busy(): boolean { return this.running; }
  /** Items put back for a later retry and not due yet. */
  get waiting(): number { return this.later.size; }

  push(item: T): PushResult {
    const key = this.o.key(item);
    if (this.keys.has(key)) return 'duplicate';
    if (this.stopped || this.items.length >= this.o.capacity) return 'full';
    this.items.push({ item, key, at: Date.now() });
    this.keys.add(key);
    void this.run();
    return 'queued';
  }

  /** Stop taking items from the queue (e.g. the outbox is full); items keep waiting. */
  pause(): void { this.paused = true; }
  resume(): void { if (!this.paused) return; this.paused = false; void this.run(); }

  /**
   * Finish what is queued and in flight, taking nothing new; resolves true when done, false
   * when the timeout passed first (the rest is redone at next start: the journal never saw it).
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.stopped = true;
    const unfinished = this.dropWaiting(); // a retry not due yet is not waited for: it is redone at next start
    if (!this.running && (this.items.length === 0 || this.paused)) return this.items.length === 0 && unfinished === 0;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(resolve));
    const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
    const done = await Promise.race([idle, timeout]);
    clearTimeout(timer);
    return done && unfinished === 0 && this.dropWaiting() === 0 && this.leftAtStop === 0;
  }

  /** Resolves true once the worker has returned from its current item (false after timeoutMs). */
  async idle(timeoutMs: number): Promise<boolean> {
    if (!this.running) return true;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(() => resolve(true)));
    const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
    const r = await Promise.race([idle, timeout]);
    clearTimeout(timer);
    return r;
  }

  /** Drop whatever is still waiting (after a drain timeout), so the worker stops after its current item. */
  clear(): void {
    this.dropWaiting();
    for (const { key } of this.items) this.keys.delete(key);
    this.items.length = 0;
  }

  private dropWaiting(): number {
    const n = this.later.size;
    for (const [key, timer] of this.later) { clearTimeout(timer); this.keys.delete(key); }
    this.later.clear();
    return n;
  }

  private retryLater(entry: { item: T; key: string; at: number }, ms: number): void {
    if (ms <= 0) { this.items.unshift(entry); return; }
    const timer = setTimeout(() => {
      this.later.delete(entry.key);
      if (this.stopped) { this.keys.delete(entry.key); return; }
      this.items.push(entry);
      void this.run();
    }, ms);
    timer.unref(); // a pending retry must not keep a stopping process alive
    this.later.set(entry.key, timer);
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.paused && this.items.length > 0) {
        const next = this.items.shift()!;
        let retry: void | Retry = undefined;
        try {
          retry = await this.o.worker(next.item, Date.now() - next.at);
          if (!retry) this.processed++;
        } catch (err) {
          // The worker turns per-image failures into error results; reaching here is a bug, not bad input.
          this.failed++;
          this.o.log.error('worker failed', { key: next.key, error: err });
        }
        if (retry && !this.stopped) this.retryLater(next, retry.retryAfterMs);
        else this.keys.delete(next.key);
        if (retry && this.stopped) this.leftAtStop++;
      }
    } finally {
      this.running = false;
    }
    // Draining callers learn when the worker stops: done, or paused with items left.
    for (const w of this.idleWaiters.splice(0)) w(this.items.length === 0);
    if (this.items.length === 0 && !this.stopped) this.o.onIdle?.();
  }
}
