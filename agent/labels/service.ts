/**
 * The labelling loop of one agent: remembers the recent results (their detections are the
 * authority, never the browser's copy), turns a label request into a durable record,
 * publishes its feedback, refits the site calibration, and answers the suggestions.
 * The same service serves the live view and the MQTT `label` request.
 */
import type { ImageResult } from '../pipeline/analyse.js';
import type { Box } from '../types.js';
import { fitCalibration, saveCalibration, type Calibration } from './calibration.js';
import { feedbackFor, type FeedbackBody } from './feedback.js';
import { checkAgainst, LabelError, parseLabelRequest } from './request.js';
import type { LabelRecord, LabelStore } from './store.js';
import { suggest, type Candidate, type Suggestion } from './suggest.js';

/** Results remembered for labelling and suggestions (an image older than this can no longer be labelled). */
export const RECENT_RESULTS = 500;

interface Recent extends Candidate { width: number; height: number; boxes: Box[]; predicted: LabelRecord['predicted'] }

export interface LabelServiceDeps {
  store: LabelStore;
  stateDir: string;
  /** labels.calibrate_after; 0 = never calibrate (labels.calibrate false). */
  calibrateAfter: number;
  /** Journals and publishes a feedback message (the daemon's outbox). */
  publish: (body: FeedbackBody) => void;
  now: () => Date;
}

export interface LabelTotals { labelled: number; mean_abs_error_f1: number | null; mean_realized_f1: number | null }

export class LabelService {
  private readonly recent = new Map<string, Recent>(); // insertion order: oldest first
  private inAlert = false;
  private calibration: Calibration | null;
  private sinceDigest: FeedbackBody[] = [];

  constructor(private readonly d: LabelServiceDeps, saved: Calibration | null) {
    this.calibration = d.calibrateAfter > 0 ? saved ?? fitCalibration(d.store.all(), d.calibrateAfter) : null;
  }

  get current(): Calibration | null { return this.calibration; }

  /** A result was journalled (the daemon's `result` event). */
  onResult(r: ImageResult, ts: string): void {
    const p = r.prediction as ImageResult['prediction'] & { calibration?: { raw_f1?: number } | null };
    const forestF1 = p.calibration?.raw_f1 ?? p.point_f1 ?? p.f1;
    const entry: Recent = {
      sha256: r.image.sha256, rel: r.image.rel, ts, f1: forestF1,
      lo: p.interval?.lo ?? null, hi: p.interval?.hi ?? null,
      outOfDomain: p.in_domain?.in_domain === false, inAlert: this.inAlert || p.low,
      width: r.image.width, height: r.image.height, boxes: r.detections.items.map((i) => i.box),
      predicted: { f1: forestF1, precision: p.precision, recall: p.recall, lo: p.interval?.lo ?? null, hi: p.interval?.hi ?? null },
    };
    this.recent.delete(entry.sha256);
    this.recent.set(entry.sha256, entry);
    if (this.recent.size > RECENT_RESULTS) this.recent.delete(this.recent.keys().next().value!);
  }

  onAlert(state: 'new' | 'update' | 'end'): void { this.inAlert = state !== 'end'; }

  /** The image as the labelling view needs it: its detections and any label so far. */
  image(sha256: string): { sha256: string; rel: string; width: number; height: number; boxes: Box[]; label: LabelRecord | null } | null {
    const r = this.recent.get(sha256);
    const l = this.d.store.get(sha256) ?? null;
    if (r) return { sha256, rel: r.rel, width: r.width, height: r.height, boxes: r.boxes, label: l };
    return l ? { sha256, rel: l.rel, width: l.width, height: l.height, boxes: l.detections, label: l } : null;
  }

  /** Validate, store durably, publish the feedback, refit. Throws LabelError on bad input (no effect). */
  submit(body: unknown): FeedbackBody {
    const req = parseLabelRequest(body);
    const img = this.recent.get(req.sha256);
    const old = this.d.store.get(req.sha256);
    const base = img ? { rel: img.rel, width: img.width, height: img.height, detections: img.boxes, predicted: img.predicted } : old;
    if (!base) throw new LabelError(`image ${req.sha256} is not among the last ${RECENT_RESULTS} results of this agent`);
    checkAgainst(req, { width: base.width, height: base.height, detections: base.detections.length });
    const record: LabelRecord = {
      sha256: req.sha256, rel: base.rel, width: base.width, height: base.height, labelled_at: this.d.now().toISOString(),
      detections: base.detections, wrong: req.wrong, added: req.added, predicted: base.predicted,
    };
    this.d.store.put(record);
    const fb = feedbackFor(record, this.d.store.size);
    this.sinceDigest.push(fb);
    this.d.publish(fb);
    this.refit();
    return fb;
  }

  suggestions(max = 5): Suggestion[] {
    return suggest([...this.recent.values()].reverse(), (sha) => this.d.store.get(sha) !== undefined, max);
  }

  /** Feedback since the last digest (the digest's `labels` block); reset by the digest. */
  totals(reset: boolean): LabelTotals {
    const fb = this.sinceDigest;
    if (reset) this.sinceDigest = [];
    const mean = (f: (b: FeedbackBody) => number): number | null => (fb.length ? Math.round((fb.reduce((s, b) => s + f(b), 0) / fb.length) * 1e4) / 1e4 : null);
    return { labelled: fb.length, mean_abs_error_f1: mean((b) => Math.abs(b.error.f1)), mean_realized_f1: mean((b) => b.realized.f1) };
  }

  private refit(): void {
    if (this.d.calibrateAfter <= 0) return;
    this.calibration = fitCalibration(this.d.store.all(), this.d.calibrateAfter);
    saveCalibration(this.d.stateDir, this.calibration);
  }
}

export { LabelError };
