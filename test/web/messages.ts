/**
 * Messages in the agent's own format (agent/pipeline/payloads.ts envelope, the bodies the
 * daemon builds), for feeding the live view through a real broker.
 */
import { envelope } from '../../agent/pipeline/payloads.js';
import { FEATURE_NAMES, type Features } from '../../agent/types.js';

export const INSTRUMENT = 'tem-test';
export const ROOT = `temguard/${INSTRUMENT}`;

let seq = 0;
export const nextSeq = (): number => ++seq;

export interface ResultSpec {
  path: string;
  rel: string;
  sha256: string;
  width: number;
  height: number;
  f1: number;
  interval?: [number, number];
  threshold?: number;
  items: { box: [number, number, number, number]; score: number }[];
  at?: Date;
  ep?: 'tensorrt' | 'cuda' | 'cpu';
  /** More prediction fields (in_domain, point_f1). */
  prediction?: Record<string, unknown>;
}

export function resultMsg(r: ResultSpec): Record<string, unknown> {
  const threshold = r.threshold ?? 0.6;
  const features = Object.fromEntries(FEATURE_NAMES.map((n) => [n, 0])) as Features;
  features.counts = r.items.length;
  return envelope('result', nextSeq(), INSTRUMENT, {
    image: { path: r.path, rel: r.rel, sha256: r.sha256, bytes: 1, width: r.width, height: r.height, dtype: 'uint8', format: 'png', pixel_size: null },
    detector: { model: 'fixture.onnx', sha256: 'x', adapter: 'unet', ep: r.ep ?? 'cpu', inference_ms: r.ep === 'cpu' || !r.ep ? 412.5 : 41.5 },
    detections: { count: r.items.length, items: r.items.map((it) => ({ ...it, area_px: (it.box[2] - it.box[0]) * (it.box[3] - it.box[1]), circularity: 0.9 })), truncated: false },
    features,
    prediction: {
      f1: r.f1, precision: Math.min(1, r.f1 + 0.05), recall: Math.max(0, r.f1 - 0.05), low: r.f1 < threshold, threshold,
      ...(r.interval ? { interval: { lo: r.interval[0], hi: r.interval[1], level: 0.9 } } : {}),
      ...r.prediction,
    },
    forest: { model: 'forest.json', sha256: 'y' },
    timing_ms: { read: 1, decode: 5, detect: 42, features: 1, forest: 1, total: 50 },
  }, r.at);
}

export interface Counters { processed: number; results: number; errors: number; low: number }

export function statusMsg(o: { depth?: number; alert?: object | null; ep?: string; at?: Date; counters?: Counters } = {}): Record<string, unknown> {
  return envelope('status', nextSeq(), INSTRUMENT, {
    state: 'running', reason: null,
    queue: { depth: o.depth ?? 0, busy: (o.depth ?? 0) > 0, capacity: 256 },
    counters: o.counters ?? { processed: 40, results: 39, errors: 1, low: 7 },
    ep: o.ep ?? 'cuda', outbox: { depth: 2, max: 10000, inflight: 1 },
    broker: { connected: true, last_error: null },
    alert: o.alert ?? null, last_prediction: null, uptime_s: 5400,
  }, o.at);
}

export interface AlertFigures { low_images: number; images: number; mean_f1: number; min_f1: number; last_image: string }

export function alertMsg(state: 'new' | 'update' | 'end', o: { id?: string; hint?: string; at?: Date; started?: Date; figures?: AlertFigures } = {}): Record<string, unknown> {
  const at = o.at ?? new Date();
  return envelope('alert', nextSeq(), INSTRUMENT, {
    state, alert_id: o.id ?? 'a-1', started: (o.started ?? at).toISOString(), ...(state === 'end' ? { ended: at.toISOString() } : {}),
    threshold: 0.6, ...(o.figures ?? { low_images: 4, images: 5, mean_f1: 0.41, min_f1: 0.33, last_image: 'run-7/img 0042.png' }),
    hint: o.hint ?? 'few confident detections: check focus and astigmatism (cavity contrast is weak or blurred)',
  }, at);
}

export function infoMsg(): Record<string, unknown> {
  return envelope('info', nextSeq(), INSTRUMENT, {
    version: '0.1.0', node: process.version, watch_dir: '/data/incoming',
    detector: { path: '/opt/temguard/models/cavity-unet-all.onnx', name: 'cavity-unet-all', sha256: 'z', adapter: 'unet', ep: { requested: ['tensorrt', 'cuda', 'cpu'], active: 'cuda', fallbacks: [{ ep: 'tensorrt', reason: 'not available' }] } },
    forest: { path: '/opt/temguard/models/forest.json', name: 'paper-forest', sha256: 'w', features: [] },
    model_error: null, config: { secret: 'must not reach the page' },
  });
}

export function availabilityMsg(state: string): Record<string, unknown> {
  return { ...envelope('availability', nextSeq(), INSTRUMENT, {}), state };
}

export function errorMsg(rel: string, message: string): Record<string, unknown> {
  return envelope('error', nextSeq(), INSTRUMENT, { image: { path: `/data/${rel}`, rel }, stage: 'decode', code: 'truncated', message, attempts: 3 });
}
