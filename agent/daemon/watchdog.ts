/**
 * systemd's watchdog, petted only while the pipeline is not stuck: an image in flight, more
 * waiting, and nothing finished since the last tick means a hung worker, and systemd restarts us.
 */
import type { Notifier } from '../notify.js';
import type { Clock } from './clock.js';

export interface Progress { busy: boolean; depth: number; processed: number }

/** One tick's judgement; keeps the processed count it last saw. */
export class StuckDetector {
  private lastProcessed = -1;

  stuck(p: Progress): boolean {
    const stuck = p.busy && p.processed === this.lastProcessed && p.depth > 0;
    this.lastProcessed = p.processed;
    return stuck;
  }
}

/** Returns the stop. */
export function startWatchdog(intervalMs: number, progress: () => Progress, notifier: Notifier, clock: Clock): () => void {
  const d = new StuckDetector();
  return clock.every(intervalMs, () => { if (!d.stuck(progress())) notifier.watchdog(); });
}
