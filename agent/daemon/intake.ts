/**
 * Where images enter the queue: the watcher, the catch-up scans (at start, after an overflow,
 * when the watch directory is back) and the io failures that a chmod may have fixed. A full
 * queue leaves files on disk; the queue's next idle moment triggers one rescan for them.
 */
import type { Logger } from '../log.js';
import type { WorkQueue } from '../pipeline/queue.js';
import type { ImageFile } from '../pipeline/watch.js';
import type { Clock } from './clock.js';

export interface IntakeDeps {
  queue: Pick<WorkQueue<ImageFile>, 'push'>;
  /** Journalled and not due for a retry. */
  alreadyDone: (f: ImageFile) => boolean;
  /** Every image now in the watch directory. */
  scan: () => Promise<ImageFile[]>;
  /** The journal's memory (state.keep_days): older files are history, not new arrivals. */
  keepMs: number;
  capacity: number;
  clock: Clock;
  log: Logger;
}

export class Intake {
  private overflowed = false;
  /** Arrivals during the start-up catch-up wait here, so images are processed oldest first. */
  private early: ImageFile[] | null = [];
  private readonly ioFailed = new Map<string, ImageFile>(); // rel -> failed for io: retried when its stamp changes

  constructor(private readonly d: IntakeDeps) {}

  get overflowing(): boolean { return this.overflowed; }

  /** From the watcher: held back until started() while the start-up scan runs. */
  arrived(f: ImageFile): void {
    if (this.early) this.early.push(f); else this.enqueue(f);
  }

  /** The start-up catch-up is over: what arrived meanwhile goes in now, behind it. */
  started(): void {
    const early = this.early ?? [];
    this.early = null;
    for (const f of early) this.enqueue(f);
  }

  enqueue(f: ImageFile): void {
    if (this.d.alreadyDone(f)) return;
    if (this.d.queue.push(f) === 'full' && !this.overflowed) {
      this.overflowed = true;
      this.d.log.warn('queue full: leaving new images on disk until it drains', { capacity: this.d.capacity });
    }
  }

  async catchUp(why: string): Promise<void> {
    const horizon = this.d.clock.now() - this.d.keepMs;
    const files = await this.d.scan();
    const todo = files.filter((f) => f.mtimeMs >= horizon && !this.d.alreadyDone(f));
    if (todo.length) this.d.log.info('catching up', { why, images: todo.length });
    for (const f of todo) this.enqueue(f);
  }

  /** The queue went idle: if it overflowed, rescan for the files it left on disk. */
  onIdle(): void {
    if (!this.overflowed) return;
    this.overflowed = false;
    void this.catchUp('rescan after overflow');
  }

  ioFailure(f: ImageFile): void { this.ioFailed.set(f.rel, f); }

  /** Images that failed for io are tried again once their stamp (mode, owner) changes: chmod fixes them. */
  recheckIoFailures(): void {
    for (const [rel, f] of this.ioFailed) {
      if (this.d.alreadyDone(f)) continue;
      this.ioFailed.delete(rel);
      this.d.log.info('file changed since it failed to read; trying it again', { image: rel });
      this.enqueue(f);
    }
  }
}
