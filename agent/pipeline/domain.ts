/**
 * Applicability domain of the forest: how far an image's feature vector lies from the rows the
 * forest was trained on. A forest extrapolates flat (its leaves are training means), so far
 * from its table it still answers a confident-looking number; this says "outside what the
 * forest knows" instead. Distance = mean Euclidean distance to the k nearest training rows in
 * the forest's standardised feature space; the reference holds those rows (float32, base64)
 * and the sorted leave-one-out distances of the training rows themselves, so a new distance
 * maps to a training percentile. `in_domain` = distance <= the distance at `cut_percentile`.
 */
export const DOMAIN_FORMAT = 'temguard-domain';

export interface DomainReference {
  format: typeof DOMAIN_FORMAT;
  features: string[];
  mean: number[];
  scale: number[];
  k: number;
  /** Training rows, standardised, row-major float32 little-endian, base64. */
  points: string;
  /** Leave-one-out kNN distances of the training rows, sorted ascending (percentile map). */
  train_distances: number[];
  cut_percentile: number;
  cut: number;
}

export interface DomainResult {
  in_domain: boolean;
  distance: number;
  /** Share of training rows (0..100) that lie closer to their own neighbours than this image. */
  percentile: number;
  /** Image half only, for a colour picture: its share of colour pixels (out of domain for that alone). */
  colour_share?: number;
}

export class DomainError extends Error {
  override name = 'DomainError';
}

/** Builds the reference from training feature vectors (one object per row). */
export function buildDomainReference(rows: ReadonlyArray<Record<string, number>>, features: readonly string[], o: { k?: number; cutPercentile?: number; maxPoints?: number } = {}): DomainReference {
  const k = o.k ?? 5;
  const d = features.length;
  if (rows.length <= k) throw new DomainError(`need more than k=${k} rows for a domain reference, got ${rows.length}`);
  const mean = features.map((f) => rows.reduce((s, r) => s + r[f]!, 0) / rows.length);
  const scale = features.map((f, j) => {
    const sd = Math.sqrt(rows.reduce((s, r) => s + (r[f]! - mean[j]!) ** 2, 0) / rows.length);
    return sd > 1e-12 ? sd : 1;
  });
  // Evenly thinned when the table is large: the reference travels in the model manifest.
  const step = Math.max(1, Math.ceil(rows.length / (o.maxPoints ?? 2000)));
  const kept = rows.filter((_, i) => i % step === 0);
  const pts = new Float32Array(kept.length * d);
  kept.forEach((r, i) => features.forEach((f, j) => { pts[i * d + j] = (r[f]! - mean[j]!) / scale[j]!; }));
  const train = Array.from({ length: kept.length }, (_, i) => knnDistance(pts, d, k, pts.subarray(i * d, (i + 1) * d), i)).sort((a, b) => a - b);
  const cutPercentile = o.cutPercentile ?? 99;
  const cut = train[Math.min(train.length - 1, Math.ceil((cutPercentile / 100) * train.length) - 1)]!;
  return { format: DOMAIN_FORMAT, features: [...features], mean, scale, k, points: Buffer.from(pts.buffer, pts.byteOffset, pts.byteLength).toString('base64'), train_distances: train.map((v) => +v.toPrecision(5)), cut_percentile: cutPercentile, cut };
}

/** Checks a reference once and returns the per-image function. */
export function domainChecker(ref: DomainReference): (x: Readonly<Record<string, number>>) => DomainResult {
  const d = ref.features?.length ?? 0;
  if (ref.format !== DOMAIN_FORMAT || d === 0 || ref.mean?.length !== d || ref.scale?.length !== d) throw new DomainError('domain reference is malformed (format, features, mean, scale)');
  const bytes = Buffer.from(ref.points, 'base64');
  if (bytes.length % (4 * d) !== 0 || bytes.length / (4 * d) <= ref.k) throw new DomainError(`domain reference points do not hold rows of ${d} features (more than k=${ref.k})`);
  const pts = new Float32Array(new Uint8Array(bytes).buffer);
  const z = new Float32Array(d);
  const sorted = ref.train_distances;
  return (x) => {
    for (let j = 0; j < d; j++) {
      const v = x[ref.features[j]!];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new DomainError(`feature "${ref.features[j]}" is missing or not a finite number`);
      z[j] = (v - ref.mean[j]!) / ref.scale[j]!;
    }
    const distance = knnDistance(pts, d, ref.k, z, -1);
    return { in_domain: distance <= ref.cut, distance, percentile: 100 * upperBound(sorted, distance) / sorted.length };
  };
}

/** Mean distance to the k nearest rows of `pts` (skipping row `self`). */
function knnDistance(pts: Float32Array, d: number, k: number, z: ArrayLike<number>, self: number): number {
  const best = new Float64Array(k).fill(Infinity);
  const n = pts.length / d;
  for (let i = 0; i < n; i++) {
    if (i === self) continue;
    let s = 0;
    for (let j = 0; j < d; j++) { const t = pts[i * d + j]! - z[j]!; s += t * t; }
    if (s < best[k - 1]!) {
      let p = k - 1;
      while (p > 0 && best[p - 1]! > s) { best[p] = best[p - 1]!; p--; }
      best[p] = s;
    }
  }
  let sum = 0;
  for (let i = 0; i < k; i++) sum += Math.sqrt(best[i]!);
  return sum / k;
}

function upperBound(sorted: readonly number[], v: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) { const m = (lo + hi) >> 1; if (sorted[m]! <= v) lo = m + 1; else hi = m; }
  return lo;
}
