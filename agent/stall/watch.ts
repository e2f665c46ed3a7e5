/**
 * "Nothing is arriving": during the session window, no new image for `minutes` raises a stall
 * (the acquisition stopped, the share unmounted, the watcher stalled); the next image ends it.
 * The quiet time is counted from the latest of: the last image, the agent's start, the window's
 * opening, so neither a fresh start nor the morning raises one at once. Pure state over an
 * injected clock: the daemon calls check() on a timer and arrived() per image.
 */
import { randomUUID } from 'node:crypto';
import type { SessionWindow } from './window.js';

/** The body of a stall `alert` message (kind "stall"; the envelope adds schema, msg_id, seq, ts). */
export interface StallEvent {
  kind: 'stall';
  state: 'new' | 'end';
  alert_id: string;
  started: string;
  ended?: string;
  /** The last image seen (new: before the stall, null when none since the start; end: the one that ended it). */
  last_image: string | null;
  last_image_at: string | null;
  minutes: number;
  window: string;
  hint: string;
}

export interface StallOptions {
  minutes: number;
  window: SessionWindow;
  now: () => number;
}

export class StallWatch {
  private lastAt: number;
  private lastImage: string | null = null;
  private lastImageAt: number | null = null;
  private active: StallEvent | null = null;

  constructor(private readonly o: StallOptions) {
    this.lastAt = o.now();
  }

  /** The stall now in progress, for status. */
  get current(): StallEvent | null { return this.active; }

  /** A new image arrived: ends a stall in progress (returned, to publish). */
  arrived(rel: string): StallEvent | null {
    const t = this.o.now();
    this.lastAt = t;
    this.lastImage = rel;
    this.lastImageAt = t;
    if (!this.active) return null;
    const iso = new Date(t).toISOString();
    const ended: StallEvent = { ...this.active, state: 'end', ended: iso, last_image: rel, last_image_at: iso, hint: `images arrive again (${rel})` };
    this.active = null;
    return ended;
  }

  /** Called periodically: a new stall when the window has been quiet too long. */
  check(): StallEvent | null {
    const t = this.o.now();
    if (this.active || !this.o.window.contains(t)) return null;
    const since = Math.max(this.lastAt, this.o.window.openedAt(t));
    if (t - since < this.o.minutes * 60_000) return null;
    const last = this.lastImageAt === null ? null : new Date(this.lastImageAt).toISOString();
    this.active = {
      kind: 'stall', state: 'new', alert_id: randomUUID(), started: new Date(t).toISOString(),
      last_image: this.lastImage, last_image_at: last, minutes: this.o.minutes, window: this.o.window.text,
      hint: `no new image for ${this.o.minutes} min during the session window ${this.o.window.text}: is the acquisition running, the share mounted, the camera writing to the watched directory?`,
    };
    return this.active;
  }
}
