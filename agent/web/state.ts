/**
 * What the live view knows, built only from the agent's MQTT messages: a bounded history of
 * predictions for the chart, the latest status/info/availability, the current alert, recent
 * errors. Paths in these messages are shown, never opened: anyone who can publish to the
 * broker can write them (overlays come from own-images.ts). Each message is reduced to what the page draws, so the page stays
 * small however many detections a result lists.
 */

import { domainPrefix } from '../pipeline/alerts.js';
import { LiveSizes, type SizesView } from './sizes.js';

/** One point of the F1 chart. */
export interface HistoryPoint {
  ts: string;
  seq: number;
  rel: string;
  sha256: string;
  f1: number;
  lo: number | null;
  hi: number | null;
  low: boolean;
  threshold: number;
  detections: number;
}

/** The latest result, as the page shows it under the image. */
export interface LatestResult extends HistoryPoint {
  width: number;
  height: number;
  precision: number;
  recall: number;
  /** Coverage of the interval (e.g. 0.9), when the forest carries one. */
  level: number | null;
  ep: string | null;
  model: string | null;
  inference_ms: number | null;
  total_ms: number | null;
  /** The size histogram over reliable results so far (sizes.ts), as of this result. */
  sizes: SizesView;
  /** The measured defocus (µm, negative = under-focus), or why there is none. */
  defocus: { um: number | null; sigma: number | null; reason: string | null } | null;
  /** Why the F1 is not to be trusted, in the alert hint's words (alerts.ts); '' inside the domain, null where the forest has no domain reference. */
  domain: string | null;
}

export interface AlertView {
  state: 'new' | 'update' | 'end';
  alert_id: string;
  started: string;
  ended?: string;
  ts: string;
  low_images: number;
  images: number | null;
  mean_f1: number | null;
  min_f1: number | null;
  threshold: number | null;
  last_image: string | null;
  hint: string | null;
}

/** One spot-check label's verdict (the `feedback` topic): realized beside predicted F1. */
export interface FeedbackView { ts: string; sha256: string; rel: string; predicted: number; realized: number; error: number }

export interface ErrorView { ts: string; image: string | null; stage: string; code: string; message: string }

/** The broker link of the web server's own subscriber. */
export interface LinkView { connected: boolean; error: string | null; since: string }

export interface Snapshot {
  root: string;
  /** Points the chart keeps at most. */
  historyMax: number;
  history: HistoryPoint[];
  latest: LatestResult | null;
  status: Record<string, unknown> | null;
  info: Record<string, unknown> | null;
  availability: { state: string; ts: string } | null;
  alert: AlertView | null;
  lastEnded: AlertView | null;
  errors: ErrorView[];
  link: LinkView;
  sizes: SizesView;
  feedback: FeedbackView[];
}

/**
 * A change for the page: the SSE event name and its data. Error messages travel as
 * `image-error`: an SSE event named `error` would fire EventSource's connection-error handler.
 */
export interface LiveEvent { event: 'result' | 'status' | 'alert' | 'image-error' | 'availability' | 'info' | 'link' | 'feedback'; data: unknown }

export interface LiveStateOptions {
  root: string;
  /** Points kept for the chart. */
  history: number;
  /** Errors kept. */
  errors?: number;
}

type Msg = Record<string, unknown>;

export class LiveState {
  private readonly history: HistoryPoint[] = [];
  private readonly errors: ErrorView[] = [];
  private readonly feedback: FeedbackView[] = [];
  private latest: LatestResult | null = null;
  private status: Msg | null = null;
  private info: Msg | null = null;
  private availability: { state: string; ts: string } | null = null;
  private alert: AlertView | null = null;
  private lastEnded: AlertView | null = null;
  private link: LinkView = { connected: false, error: null, since: new Date().toISOString() };
  private readonly sizes = new LiveSizes();

  constructor(private readonly o: LiveStateOptions) {}

  /** Takes one message from `<root>/<name>`; returns the event to relay, or null if it changes nothing shown. */
  ingest(name: string, msg: unknown): LiveEvent | null {
    if (!isObject(msg)) return null;
    switch (name) {
      case 'result': return this.onResult(msg);
      case 'status': return this.onStatus(msg);
      case 'alert': return this.onAlert(msg);
      case 'error': return this.onError(msg);
      case 'feedback': return this.onFeedback(msg);
      case 'info': this.info = compactInfo(msg); return { event: 'info', data: this.info };
      case 'availability': {
        this.availability = { state: str(msg.state) ?? 'unknown', ts: str(msg.ts) ?? '' };
        return { event: 'availability', data: this.availability };
      }
      default: return null;
    }
  }

  setLink(connected: boolean, error: string | null): LiveEvent | null {
    if (this.link.connected === connected && this.link.error === error) return null;
    this.link = { connected, error, since: new Date().toISOString() };
    return { event: 'link', data: this.link };
  }

  snapshot(): Snapshot {
    return {
      root: this.o.root, historyMax: this.o.history, history: [...this.history], latest: this.latest, status: this.status, info: this.info,
      availability: this.availability, alert: this.alert, lastEnded: this.lastEnded, errors: [...this.errors], link: this.link, sizes: this.sizes.view(),
      feedback: [...this.feedback],
    };
  }

  private onResult(m: Msg): LiveEvent | null {
    const image = obj(m.image);
    const pred = obj(m.prediction);
    const f1 = num(pred.f1);
    const sha256 = str(image.sha256);
    if (f1 === null || sha256 === null || !/^[0-9a-f]{64}$/.test(sha256)) return null;
    const interval = obj(pred.interval);
    const det = obj(m.detections);
    const detector = obj(m.detector);
    const point: HistoryPoint = {
      ts: str(m.ts) ?? new Date().toISOString(), seq: num(m.seq) ?? 0, rel: str(image.rel) ?? str(image.path) ?? '', sha256,
      f1, lo: num(interval.lo), hi: num(interval.hi), low: pred.low === true, threshold: num(pred.threshold) ?? 0, detections: num(det.count) ?? 0,
    };
    pushBounded(this.history, point, this.o.history);
    this.sizes.add(m.physics, point.low);
    this.latest = {
      ...point, level: num(interval.level), width: num(image.width) ?? 0, height: num(image.height) ?? 0, precision: num(pred.precision) ?? 0, recall: num(pred.recall) ?? 0,
      ep: str(detector.ep), model: str(detector.model), inference_ms: num(detector.inference_ms), total_ms: num(obj(m.timing_ms).total),
      sizes: this.sizes.view(), defocus: defocusOf(m.physics), domain: domainOf(pred),
    };
    return { event: 'result', data: this.latest };
  }

  private onFeedback(m: Msg): LiveEvent | null {
    const sha256 = str(obj(m.image).sha256);
    const predicted = num(obj(m.predicted).f1);
    const realized = num(obj(m.realized).f1);
    if (sha256 === null || !/^[0-9a-f]{64}$/.test(sha256) || predicted === null || realized === null) return null;
    const view: FeedbackView = { ts: str(m.ts) ?? '', sha256, rel: str(obj(m.image).rel) ?? '', predicted, realized, error: num(obj(m.error).f1) ?? predicted - realized };
    const i = this.feedback.findIndex((f) => f.sha256 === sha256); // a relabel replaces the earlier verdict
    if (i >= 0) this.feedback.splice(i, 1);
    pushBounded(this.feedback, view, this.o.history);
    return { event: 'feedback', data: view };
  }

  private onStatus(m: Msg): LiveEvent {
    this.status = m;
    const a = m.alert;
    // Alert messages are authoritative; status fills in when we started mid-alert or missed its end.
    if (isObject(a) && !this.alert && str(a.alert_id)) {
      this.alert = { state: 'new', alert_id: str(a.alert_id)!, started: str(a.started) ?? '', ts: str(m.ts) ?? '', low_images: num(a.low_images) ?? 0, images: null, mean_f1: null, min_f1: null, threshold: null, last_image: null, hint: null };
    } else if (a === null && this.alert && (str(m.ts) ?? '') > this.alert.ts) {
      this.alert = null;
    }
    return { event: 'status', data: { status: m, alert: this.alert } };
  }

  private onAlert(m: Msg): LiveEvent | null {
    const state = m.state;
    if (state !== 'new' && state !== 'update' && state !== 'end') return null;
    const view: AlertView = {
      state, alert_id: str(m.alert_id) ?? '', started: str(m.started) ?? '', ended: str(m.ended) ?? undefined, ts: str(m.ts) ?? '',
      low_images: num(m.low_images) ?? 0, images: num(m.images), mean_f1: num(m.mean_f1), min_f1: num(m.min_f1), threshold: num(m.threshold),
      last_image: str(m.last_image), hint: str(m.hint),
    };
    if (state === 'end') {
      this.lastEnded = view;
      if (!this.alert || this.alert.alert_id === view.alert_id) this.alert = null;
    } else {
      this.alert = view;
    }
    return { event: 'alert', data: { alert: this.alert, lastEnded: this.lastEnded } };
  }

  private onError(m: Msg): LiveEvent {
    const image = m.image;
    const view: ErrorView = {
      ts: str(m.ts) ?? '', image: isObject(image) ? str(image.rel) ?? str(image.path) : str(image), stage: str(m.stage) ?? '', code: str(m.code) ?? '', message: str(m.message) ?? '',
    };
    pushBounded(this.errors, view, this.o.errors ?? 10);
    return { event: 'image-error', data: view };
  }
}

/** info carries the whole (redacted) config; the page needs a few names. */
function compactInfo(m: Msg): Msg {
  const det = obj(m.detector);
  const forest = obj(m.forest);
  return {
    ts: m.ts, version: m.version, instrument: m.instrument, watch_dir: m.watch_dir, model_error: m.model_error ?? null,
    detector: isObject(m.detector) ? { path: det.path ?? det.model ?? null, name: det.name ?? null, adapter: det.adapter ?? null, ep: det.ep ?? null } : null,
    forest: isObject(m.forest) ? { name: forest.name ?? null, path: forest.path ?? null } : null,
  };
}

function pushBounded<T>(xs: T[], x: T, max: number): void {
  xs.push(x);
  if (xs.length > max) xs.splice(0, xs.length - max);
}

function isObject(v: unknown): v is Msg {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function obj(v: unknown): Msg {
  return isObject(v) ? v : {};
}
function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** The result's defocus, numbers and a reason word only (anything else in the message is ignored). */
function defocusOf(physics: unknown): LatestResult['defocus'] {
  const d = obj(obj(physics).defocus);
  if (!Object.keys(d).length) return null;
  const reason = str(d.reason);
  return { um: num(d.defocus_um), sigma: num(d.defocus_sigma_um), reason: reason && /^[a-z_]{1,40}$/.test(reason) ? reason : null };
}

/** The result's in_domain, checked field by field (anyone can publish), in domainPrefix's words without its separator. */
function domainOf(pred: Record<string, unknown>): string | null {
  const d = obj(pred.in_domain), image = obj(d.image);
  if (typeof d.in_domain !== 'boolean') return null;
  const colour = num(image.colour_share), point = num(pred.point_f1);
  const half = typeof image.in_domain === 'boolean'
    ? { image: { in_domain: image.in_domain, distance: num(image.distance) ?? 0, percentile: num(image.percentile) ?? 0, ...(colour !== null ? { colour_share: colour } : {}) } } : {};
  return domainPrefix({
    ...(point !== null ? { point_f1: point } : {}),
    in_domain: { in_domain: d.in_domain, distance: num(d.distance) ?? 0, percentile: num(d.percentile) ?? 0, ...half },
  }).replace(/; $/, '');
}
