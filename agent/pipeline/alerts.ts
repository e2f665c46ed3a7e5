/**
 * Alerts with a lifecycle instead of one message per bad image (Frigate's users asked for
 * exactly this after notification storms): an alert starts ("new") after `enterAfter`
 * consecutive low predictions, sends an "update" every `updateEvery` further low images,
 * and ends ("end") after `exitAfter` consecutive images that are not low. Pure state machine:
 * the daemon feeds it predictions and publishes what it returns.
 */
import { randomUUID } from 'node:crypto';
import type { Features, Prediction } from '../types.js';
import { defocusHint, type DefocusRange } from '../physics/training-range.js';

export interface AlertOptions {
  enterAfter: number;
  exitAfter: number;
  updateEvery: number;
  /** The defocus the detector was trained on (physics/training-range.ts), for the hint; null/absent: unknown. */
  defocusRange?: DefocusRange | null;
}

export interface AlertEvent {
  state: 'new' | 'update' | 'end';
  alert_id: string;
  started: string;
  ended?: string;
  /** Images predicted low since the alert started (including the ones that triggered it). */
  low_images: number;
  images: number;
  mean_f1: number;
  min_f1: number;
  threshold: number;
  last_image: string;
  /** A plain-language guess at the cause, from the measured defocus and the features, for the operator. */
  hint: string;
  /** The latest defocus measured on a low image of this alert (µm, negative = under-focus); null when none could be. */
  defocus_um?: number | null;
}

interface Active {
  id: string;
  started: Date;
  low: number;
  images: number;
  sumF1: number;
  minF1: number;
  sinceUpdate: number;
}

export class AlertTracker {
  private lowRun: { f1: number; at: Date }[] = [];
  private okRun = 0;
  private active: Active | null = null;
  /** Latest defocus measured on a low image (the run before an alert, or the alert): what the hint reports. */
  private lowDefocus: number | null = null;
  /** Alerts started since the counter was last read (for the digest). */
  started = 0;

  constructor(private readonly o: AlertOptions) {}

  get current(): { alert_id: string; started: string; low_images: number } | null {
    return this.active ? { alert_id: this.active.id, started: this.active.started.toISOString(), low_images: this.active.low } : null;
  }

  observe(p: Prediction, features: Features, image: string, now: Date = new Date(), defocusUm: number | null = null): AlertEvent | null {
    if (p.low && defocusUm !== null) this.lowDefocus = defocusUm;
    return p.low ? this.onLow(p, features, image, now) : this.onOk(p, features, image, now);
  }

  private onLow(p: Prediction, f: Features, image: string, now: Date): AlertEvent | null {
    this.okRun = 0;
    const a = this.active;
    if (!a) {
      this.lowRun.push({ f1: p.f1, at: now });
      if (this.lowRun.length < this.o.enterAfter) return null;
      const f1s = this.lowRun.map((r) => r.f1);
      this.active = { id: randomUUID(), started: this.lowRun[0]!.at, low: f1s.length, images: f1s.length, sumF1: sum(f1s), minF1: Math.min(...f1s), sinceUpdate: 0 };
      this.lowRun = [];
      this.started++;
      return this.event('new', p, f, image);
    }
    a.low++; a.images++; a.sumF1 += p.f1; a.minF1 = Math.min(a.minF1, p.f1);
    if (++a.sinceUpdate < this.o.updateEvery) return null;
    a.sinceUpdate = 0;
    return this.event('update', p, f, image);
  }

  private onOk(p: Prediction, f: Features, image: string, now: Date): AlertEvent | null {
    this.lowRun = [];
    const a = this.active;
    if (!a) { this.lowDefocus = null; return null; }
    a.images++; a.sumF1 += p.f1;
    if (++this.okRun < this.o.exitAfter) return null;
    const ev = this.event('end', p, f, image);
    ev.ended = now.toISOString();
    ev.hint = 'predicted F1 has recovered above the threshold';
    this.active = null;
    this.okRun = 0;
    this.lowDefocus = null;
    return ev;
  }

  private event(state: AlertEvent['state'], p: Prediction, f: Features, image: string): AlertEvent {
    const a = this.active!;
    return {
      state, alert_id: a.id, started: a.started.toISOString(), low_images: a.low, images: a.images,
      mean_f1: round(a.sumF1 / a.images), min_f1: round(a.minF1), threshold: p.threshold, last_image: image,
      hint: domainPrefix(p) + hintFor(f, this.lowDefocus, this.o.defocusRange ?? null), defocus_um: this.lowDefocus,
    };
  }
}

/**
 * An image outside the domain: its number is an extrapolation, say so first, and why (a colour
 * picture, pixels unlike any real micrograph, or features far from the training table).
 */
export function domainPrefix(p: Pick<Prediction, 'in_domain' | 'point_f1'>): string {
  const d = p.in_domain;
  if (!d || d.in_domain) return '';
  const shown = p.point_f1 === undefined ? 'the predicted F1 is not reliable; '
    : `the predicted F1 is not reliable and is shown at its interval's lower end (the forest said ${p.point_f1.toFixed(2)}); `;
  const image = d.image;
  if (image?.colour_share !== undefined) return `a colour picture, not a micrograph (${(100 * image.colour_share).toFixed(0)}% of its pixels coloured): ${shown}`;
  if (image && !image.in_domain) return `unlike any real micrograph (its pixel statistics farther from theirs than ${image.percentile.toFixed(1)}% of them): ${shown}`;
  return `outside what the forest knows (farther from its training images than ${d.percentile.toFixed(1)}% of them): ${shown}`;
}

/**
 * The hint: a measured defocus outside what the detector was trained on is the likeliest cause
 * and is said alone ("under-focus -2.1 um, the detector was trained on -2.5..-0.3 um"); one
 * inside it is reported before the feature heuristics, so the operator can rule focus out.
 */
export function hintFor(f: Features, defocusUm: number | null, range: DefocusRange | null): string {
  if (defocusUm === null) return likelyCause(f);
  const d = defocusHint(defocusUm, range);
  return d.outside ? `${d.text}: bring the focus back into that range` : `${d.text}; ${likelyCause(f)}`;
}

/**
 * What most likely went wrong, read off the detector's own output. Heuristics, stated as
 * such: they point the operator at the first thing to check, they do not diagnose.
 */
export function likelyCause(f: Features): string {
  if (f.counts === 0) return 'no detections: check that the specimen area is in view, the beam is on and the image is in focus';
  const highConf = f['counts_0.9'];
  if (f.avg_conf < 0.5 && highConf < 0.2) return 'few confident detections: check focus and astigmatism (cavity contrast is weak or blurred)';
  if (f.counts > 200 && f.avg_size < 0.0005) return 'many tiny detections: likely noise or texture (check dose/exposure and focus)';
  if (f.std_shape > 0.3 || f.avg_shape > 1.5) return 'irregular detection shapes: overlapping or non-cavity features (check the imaging conditions match the model)';
  return 'detections look unlike the training data: check focus, dose and that the material matches the model';
}

function sum(xs: number[]): number { return xs.reduce((s, x) => s + x, 0); }
function round(x: number): number { return Math.round(x * 1e4) / 1e4; }
