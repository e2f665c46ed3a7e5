/**
 * The session's numbers, from the images the forest predicts the detector got right: an image
 * counts when its predicted F1 is at least the alert threshold (the same line that makes it
 * "low") and its pixel size is known. Counts, areas, sizes and volumes are pooled over those
 * images (a session's density is all its cavities over all its area, not a mean of ratios),
 * with 95 % percentile-bootstrap intervals over images: the image is the unit that varies
 * (area of the foil, focus, the detector's luck), the cavities within one are not independent.
 */
import { createRng } from '../sim/rng.js';
import { addHistograms, SIZE_EDGES_NM, type SizeHistogram } from './histogram.js';
import type { ImageStatistics } from './image-stats.js';
import { sig } from './image-stats.js';

export interface SessionEntry {
  image: string;
  sha256: string;
  predicted_f1: number;
  threshold: number;
  trusted: boolean;
  why: string;
  defocus_um: number | null;
  stats: ImageStatistics | null;
}

export interface Estimate { value: number | null; lo: number | null; hi: number | null }

export interface SessionSummary {
  since: string;
  images: number;
  trusted: number;
  /** Untrusted images by reason. */
  untrusted: { low_f1: number; no_pixel_size: number };
  detections: number;
  statistics: {
    density_per_nm2: Estimate;
    mean_diameter_nm: Estimate;
    std_diameter_nm: Estimate;
    mean_circularity: Estimate;
    /** Over the trusted images with a known thickness only (`swelling_images` of them). */
    swelling_percent: Estimate;
    swelling_images: number;
  };
  size_histogram: SizeHistogram;
  interval: { level: number; method: string; resamples: number };
}

export interface SessionOptions { resamples: number; level: number; seed: number }
export const DEFAULT_SESSION_OPTIONS: SessionOptions = { resamples: 1000, level: 0.95, seed: 1 };

export interface ObservedImage {
  image: string;
  sha256: string;
  f1: number;
  threshold: number;
  defocus_um: number | null;
  stats: ImageStatistics | null;
}

export class SessionStatistics {
  private readonly list: SessionEntry[] = [];
  constructor(private readonly since: Date, private readonly o: SessionOptions = DEFAULT_SESSION_OPTIONS) {}

  get entries(): readonly SessionEntry[] { return this.list; }

  observe(x: ObservedImage): SessionEntry {
    const hasPx = !!x.stats && x.stats.density_per_nm2 !== null;
    const okF1 = x.f1 >= x.threshold;
    const why = !hasPx ? 'pixel size unknown: no physical statistics' : okF1 ? `predicted F1 ${x.f1.toFixed(3)} >= ${x.threshold}` : `predicted F1 ${x.f1.toFixed(3)} < ${x.threshold}`;
    const e: SessionEntry = { image: x.image, sha256: x.sha256, predicted_f1: x.f1, threshold: x.threshold, trusted: hasPx && okF1, why, defocus_um: x.defocus_um, stats: x.stats };
    this.list.push(e);
    return e;
  }

  summary(): SessionSummary {
    const trusted = this.list.filter((e) => e.trusted).map((e) => totalsOf(e.stats!));
    const rng = createRng(this.o.seed);
    const estimate = (f: (t: readonly Totals[]) => number | null): Estimate => bootstrap(trusted, f, this.o, rng);
    const hist = new Array<number>(SIZE_EDGES_NM.length - 1).fill(0);
    for (const e of this.list) if (e.trusted && e.stats!.size_histogram) addHistograms(hist, e.stats!.size_histogram);
    return {
      since: this.since.toISOString(),
      images: this.list.length,
      trusted: trusted.length,
      untrusted: {
        low_f1: this.list.filter((e) => !e.trusted && e.stats?.density_per_nm2 != null).length,
        no_pixel_size: this.list.filter((e) => e.stats?.density_per_nm2 == null).length,
      },
      detections: trusted.reduce((s, t) => s + t.count, 0),
      statistics: {
        density_per_nm2: estimate(density),
        mean_diameter_nm: estimate(meanDiameter),
        std_diameter_nm: estimate(stdDiameter),
        mean_circularity: estimate(meanCircularity),
        swelling_percent: estimate(swelling),
        swelling_images: trusted.filter((t) => t.thickness !== null).length,
      },
      size_histogram: { edges_nm: [...SIZE_EDGES_NM], counts: hist },
      interval: { level: this.o.level, method: 'percentile bootstrap over trusted images', resamples: this.o.resamples },
    };
  }
}

/** What pooling needs of one image (sums rebuilt from its published mean and std). */
interface Totals { count: number; area: number; sumD: number; sumD2: number; sumC: number; sumC2: number; volume: number; thickness: number | null }

function totalsOf(s: ImageStatistics): Totals {
  const n = s.count;
  const md = s.mean_diameter_nm ?? 0, sd = s.std_diameter_nm ?? 0, mc = s.mean_circularity ?? 0, sc = s.std_circularity ?? 0;
  return { count: n, area: s.area_nm2!, sumD: md * n, sumD2: (sd * sd + md * md) * n, sumC: mc * n, sumC2: (sc * sc + mc * mc) * n, volume: s.void_volume_nm3 ?? 0, thickness: s.thickness_nm };
}

const total = (ts: readonly Totals[], k: keyof Omit<Totals, 'thickness'>): number => ts.reduce((s, t) => s + t[k], 0);
function density(ts: readonly Totals[]): number | null { const a = total(ts, 'area'); return a > 0 ? total(ts, 'count') / a : null; }
function meanDiameter(ts: readonly Totals[]): number | null { const n = total(ts, 'count'); return n > 0 ? total(ts, 'sumD') / n : null; }
function stdDiameter(ts: readonly Totals[]): number | null {
  const n = total(ts, 'count');
  if (!(n > 0)) return null;
  const m = total(ts, 'sumD') / n;
  return Math.sqrt(Math.max(0, total(ts, 'sumD2') / n - m * m));
}
function meanCircularity(ts: readonly Totals[]): number | null { const n = total(ts, 'count'); return n > 0 ? total(ts, 'sumC') / n : null; }
function swelling(ts: readonly Totals[]): number | null {
  const w = ts.filter((t) => t.thickness !== null);
  if (!w.length) return null;
  const v = total(w, 'volume');
  const foil = w.reduce((s, t) => s + t.area * t.thickness!, 0);
  return foil > v ? (100 * v) / (foil - v) : null;
}

/** Value on all images, and the percentile interval of the value over resampled image sets. */
function bootstrap(ts: readonly Totals[], f: (t: readonly Totals[]) => number | null, o: SessionOptions, rng: ReturnType<typeof createRng>): Estimate {
  const value = ts.length ? f(ts) : null;
  if (value === null || ts.length < 2) return { value: value === null ? null : sig(value), lo: null, hi: null };
  const draws: number[] = [];
  const sample: Totals[] = new Array(ts.length);
  for (let b = 0; b < o.resamples; b++) {
    for (let i = 0; i < ts.length; i++) sample[i] = ts[rng.int(ts.length)]!;
    const v = f(sample);
    if (v !== null) draws.push(v);
  }
  draws.sort((a, b) => a - b);
  const q = (p: number): number => draws[Math.min(draws.length - 1, Math.max(0, Math.floor(p * draws.length)))]!;
  return { value: sig(value), lo: sig(q((1 - o.level) / 2)), hi: sig(q(1 - (1 - o.level) / 2)) };
}
