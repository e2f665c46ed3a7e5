/** Shared parts of the daemon's in-process tests: a manual clock, a log that keeps its lines, temp dirs. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../agent/daemon/clock.js';
import { createLogger, type Logger } from '../../agent/log.js';
import { loadConfig } from '../../agent/config/load.js';
import type { Config } from '../../agent/config/schema.js';

/** Time moves only when the test says so; advance() runs every timer that falls due, in order, awaiting each. */
export class ManualClock implements Clock {
  private t: number;
  private readonly timers = new Set<{ next: number; ms: number; fn: () => void | Promise<void> }>();

  constructor(start = Date.now()) { this.t = start; }

  now(): number { return this.t; }

  every(ms: number, fn: () => void | Promise<void>): () => void {
    const timer = { next: this.t + ms, ms, fn };
    this.timers.add(timer);
    return () => { this.timers.delete(timer); };
  }

  get pending(): number { return this.timers.size; }

  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers].filter((x) => x.next <= end).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.t = due.next;
      due.next += due.ms;
      await due.fn();
    }
    this.t = end;
  }
}

export function capture(): { lines: Record<string, unknown>[]; log: Logger } {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: createLogger({ write: (l) => lines.push(JSON.parse(l)) }) };
}

export const tmp = (p: string): string => mkdtempSync(join(tmpdir(), p));

/** Files that fail at decode (not images): the real analysis turns each into an `error`, with no model needed. */
export function corruptFiles(dir: string, n: number, from = 0): string[] {
  return Array.from({ length: n }, (_, i) => {
    const p = join(dir, `bad-${String(from + i).padStart(3, '0')}.png`);
    writeFileSync(p, `not a PNG, file ${from + i}`);
    return p;
  });
}

export function config(overrides: Record<string, unknown> = {}): Config {
  return loadConfig({ env: {}, overrides });
}

/** Resolves once pred() holds, checked after each event the caller forwards to check(). */
export function until(pred: () => boolean): { check(): void; done: Promise<void> } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => { resolve = r; });
  const check = () => { if (pred()) resolve(); };
  return { check, done };
}
