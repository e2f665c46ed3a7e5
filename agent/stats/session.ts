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
  /** Images in the window (the latest maxImages); `dropped` older ones left it. */
  images: number;
  dropped?: number;
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

export interface SessionOptions { resamples: number; level: number; seed: number; maxImages: number }
/** maxImages: an agent left running for weeks keeps the latest 20 000 images (a few MB), reported as `dropped` beyond. */
export const DEFAULT_SESSION_OPTIONS: SessionOptions = { resamples: 1000, level: 0.95, seed: 1, maxImages: 20_000 };

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
  private dropped = 0;
  constructor(private readonly since: Date, private readonly o: SessionOptions = DEFAULT_SESSION_OPTIONS) {}

  get entries(): readonly SessionEntry[] { return this.list; }

  observe(x: ObservedImage): SessionEntry {
    const hasPx = !!x.stats && x.stats.density_per_nm2 !== null;
    const okF1 = x.f1 >= x.threshold;
    const why = !hasPx ? 'pixel size unknown: no physical statistics' : okF1 ? `predicted F1 ${x.f1.toFixed(3)} >= ${x.threshold}` : `predicted F1 ${x.f1.toFixed(3)} < ${x.threshold}`;
    const e: SessionEntry = { image: x.image, sha256: x.sha256, predicted_f1: x.f1, threshold: x.threshold, trusted: hasPx && okF1, why, defocus_um: x.defocus_um, stats: x.stats };
    this.list.push(e);
    if (this.list.length > this.o.maxImages) { this.list.shift(); this.dropped++; }
    return e;
  }

  summary(): SessionSummary {
    const trusted = this.list.filter((e) => e.trusted).map((e) => totalsOf(e.stats!));
    const est = bootstrap(trusted, this.o, createRng(this.o.seed));
    const hist = new Array<number>(SIZE_EDGES_NM.length - 1).fill(0);
    for (const e of this.list) if (e.trusted && e.stats!.size_histogram) addHistograms(hist, e.stats!.size_histogram);
    return {
      since: this.since.toISOString(),
      images: this.list.length,
      ...(this.dropped ? { dropped: this.dropped } : {}),
      trusted: trusted.length,
      untrusted: {
        low_f1: this.list.filter((e) => !e.trusted && e.stats?.density_per_nm2 != null).length,
        no_pixel_size: this.list.filter((e) => e.stats?.density_per_nm2 == null).length,
      },
      detections: trusted.reduce((s, t) => s + t.count, 0),
      statistics: { ...est, swelling_images: trusted.filter((t) => t.thickness !== null).length },
      size_histogram: { edges_nm: [...SIZE_EDGES_NM], counts: hist },
      interval: { level: this.o.level, method: 'percentile bootstrap over trusted images', resamples: resamplesFor(trusted.length, this.o) },
    };
  }
}

/** What pooling needs of one image (sums rebuilt from its published mean and std). */
interface Totals { count: number; area: number; sumD: number; sumD2: number; sumC: number; volume: number; thickness: number | null }

function totalsOf(s: ImageStatistics): Totals {
  const n = s.count;
  const md = s.mean_diameter_nm ?? 0, sd = s.std_diameter_nm ?? 0, mc = s.mean_circularity ?? 0;
  return { count: n, area: s.area_nm2!, sumD: md * n, sumD2: (sd * sd + md * md) * n, sumC: mc * n, volume: s.void_volume_nm3 ?? 0, thickness: s.thickness_nm };
}

/** The pooled sums of a set of images: every statistic is a ratio of these. */
interface Sums { count: number; area: number; sumD: number; sumD2: number; sumC: number; volumeT: number; foilT: number }

function add(into: Sums, t: Totals): void {
  into.count += t.count; into.area += t.area; into.sumD += t.sumD; into.sumD2 += t.sumD2; into.sumC += t.sumC;
  if (t.thickness !== null) { into.volumeT += t.volume; into.foilT += t.area * t.thickness; }
}

type Key = 'density_per_nm2' | 'mean_diameter_nm' | 'std_diameter_nm' | 'mean_circularity' | 'swelling_percent';
const KEYS: readonly Key[] = ['density_per_nm2', 'mean_diameter_nm', 'std_diameter_nm', 'mean_circularity', 'swelling_percent'];

function values(s: Sums): Record<Key, number | null> {
  const n = s.count;
  const m = n > 0 ? s.sumD / n : null;
  return {
    density_per_nm2: s.area > 0 ? n / s.area : null,
    mean_diameter_nm: m,
    std_diameter_nm: m === null ? null : Math.sqrt(Math.max(0, s.sumD2 / n - m * m)),
    mean_circularity: n > 0 ? s.sumC / n : null,
    // Only images with a known thickness (swelling_images of them) enter the swelling.
    swelling_percent: s.foilT > s.volumeT ? (100 * s.volumeT) / (s.foilT - s.volumeT) : null,
  };
}

export function resamplesFor(images: number, o: SessionOptions): number {
  return Math.max(Math.min(200, o.resamples), Math.min(o.resamples, Math.floor(4e6 / Math.max(1, images))));
}

const empty = (): Sums => ({ count: 0, area: 0, sumD: 0, sumD2: 0, sumC: 0, volumeT: 0, foilT: 0 });

/**
 * Each statistic on all images, and its percentile interval over resampled image sets. One
 * pass per resample gives all five (sums, then ratios). The resamples shrink (not below 200)
 * past 4000 images, so a digest over the full 20 000-image window blocks for ~0.3 s, not 1.5.
 */
function bootstrap(ts: readonly Totals[], o: SessionOptions, rng: ReturnType<typeof createRng>): Record<Key, Estimate> {
  const all = empty();
  for (const t of ts) add(all, t);
  const value = values(all);
  const draws: Record<Key, number[]> = { density_per_nm2: [], mean_diameter_nm: [], std_diameter_nm: [], mean_circularity: [], swelling_percent: [] };
  if (ts.length >= 2) {
    for (let b = 0; b < resamplesFor(ts.length, o); b++) {
      const s = empty();
      for (let i = 0; i < ts.length; i++) add(s, ts[rng.int(ts.length)]!);
      const v = values(s);
      for (const k of KEYS) if (v[k] !== null) draws[k].push(v[k]!);
    }
  }
  const out = {} as Record<Key, Estimate>;
  for (const k of KEYS) {
    const d = draws[k].sort((a, b) => a - b);
    const q = (p: number): number => d[Math.min(d.length - 1, Math.max(0, Math.floor(p * d.length)))]!;
    const v = value[k];
    out[k] = v === null ? { value: null, lo: null, hi: null } : d.length ? { value: sig(v), lo: sig(q((1 - o.level) / 2)), hi: sig(q(1 - (1 - o.level) / 2)) } : { value: sig(v), lo: null, hi: null };
  }
  return out;
}
