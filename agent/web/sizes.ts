/**
 * The live view's size histogram: cavity sizes summed over the results the page has seen that
 * the forest predicts reliable (not low) and that carry a histogram (pixel size known), the
 * same rule as the session statistics (agent/stats/session.ts). Built from MQTT messages, so
 * every value is checked: a message with odd bins is skipped, never drawn.
 */
import { SIZE_EDGES_NM } from '../stats/histogram.js';

export interface SizesView { edges_nm: number[]; counts: number[]; images: number; skipped_low: number }

export class LiveSizes {
  private readonly counts = new Array<number>(SIZE_EDGES_NM.length - 1).fill(0);
  private images = 0;
  private skippedLow = 0;

  /** Takes one result message; true when the histogram changed. */
  add(physics: unknown, low: boolean): boolean {
    const h = (physics as { statistics?: { size_histogram?: { counts?: unknown } } } | null)?.statistics?.size_histogram;
    const counts = h?.counts;
    if (!Array.isArray(counts) || counts.length !== this.counts.length || !counts.every((c) => Number.isInteger(c) && c >= 0)) return false;
    if (low) { this.skippedLow++; return false; }
    for (let i = 0; i < counts.length; i++) this.counts[i] = this.counts[i]! + (counts[i] as number);
    this.images++;
    return true;
  }

  view(): SizesView {
    return { edges_nm: [...SIZE_EDGES_NM], counts: [...this.counts], images: this.images, skipped_low: this.skippedLow };
  }
}
