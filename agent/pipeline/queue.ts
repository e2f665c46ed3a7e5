/**
 * Queue: images wait here in arrival order and are processed one at a time (the detector
 * uses all cores for one image; two at once would only make both late). Bounded: when
 * full, push() says so and the caller leaves the file on disk for a later rescan, so a
 * burst of thousands of files cannot exhaust memory and nothing is lost. Duplicate keys
 * (the same file reported twice) are dropped.
 */
import type { Logger } from '../log.js';

export type PushResult = 'queued' | 'duplicate' | 'full';

export interface QueueOptions<T> {
  capacity: number;
  key: (item: T) => string;
  worker: (item: T, waitedMs: number) => Promise<void>;
  /** Called whenever the queue becomes empty and idle (used to trigger an overflow rescan). */
  onIdle?: () => void;
  log: Logger;
}

export class WorkQueue<T> {
  private readonly items: { item: T; key: string; at: number }[] = [];
  private readonly keys = new Set<string>();
  private running = false;
  private paused = false;
  private stopped = false;
  private idleWaiters: ((allDone: boolean) => void)[] = [];
  processed = 0;
  failed = 0;

  constructor(private readonly o: QueueOptions<T>) {}

  get depth(): number { return this.items.length; }
  get busy(): boolean { return this.running; }

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
    if (!this.running && (this.items.length === 0 || this.paused)) return this.items.length === 0;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Promise<boolean>((resolve) => this.idleWaiters.push(resolve));
    const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
    const done = await Promise.race([idle, timeout]);
    clearTimeout(timer);
    return done;
  }

  /** Drop whatever is still waiting (after a drain timeout), so the worker stops after its current item. */
  clear(): void {
    this.items.length = 0;
    this.keys.clear();
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.paused && this.items.length > 0) {
        const next = this.items.shift()!;
        try {
          await this.o.worker(next.item, Date.now() - next.at);
          this.processed++;
        } catch (err) {
          // The worker turns per-image failures into error results; reaching here is a bug, not bad input.
          this.failed++;
          this.o.log.error('worker failed', { key: next.key, error: err });
        } finally {
          this.keys.delete(next.key);
        }
      }
    } finally {
      this.running = false;
    }
    // Draining callers learn when the worker stops: done, or paused with items left.
    for (const w of this.idleWaiters.splice(0)) w(this.items.length === 0);
    if (this.items.length === 0 && !this.stopped) this.o.onIdle?.();
  }
}
