/**
 * The settings `threshold/set` may change while the agent runs, and only these: the F1
 * threshold below which an image is low, and the alert's enter/exit counts. They start from
 * the config and live here; the worker and the alert tracker read them at every image. A
 * restart goes back to the config (the file stays the one record of intent).
 */
import type { AlertOptions } from '../pipeline/alerts.js';

export interface LiveValues { f1_threshold: number; enter_after: number; exit_after: number }

export class LiveSettings {
  constructor(private f1: number, readonly alert: AlertOptions) {}

  get f1Threshold(): number { return this.f1; }

  values(): LiveValues { return { f1_threshold: this.f1, enter_after: this.alert.enterAfter, exit_after: this.alert.exitAfter }; }

  /** Applies what is given (already schema-checked); returns the values before and after. */
  set(v: Partial<LiveValues>): { previous: LiveValues; current: LiveValues } {
    const previous = this.values();
    if (v.f1_threshold !== undefined) this.f1 = v.f1_threshold;
    if (v.enter_after !== undefined) this.alert.enterAfter = v.enter_after;
    if (v.exit_after !== undefined) this.alert.exitAfter = v.exit_after;
    return { previous, current: this.values() };
  }
}
