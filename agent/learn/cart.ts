/**
 * A small random forest of CART regression trees, written for this project because
 * ml-random-forest trained ~16x slower than scikit-learn and wrote 14 MB of JSON for 833
 * rows (bench/forest.bench.ts measures both). Same algorithm as scikit-learn's
 * RandomForestRegressor: bootstrap rows (kept as integer weights), at each node try
 * `maxFeatures` random features, take the split of largest weighted-MSE decrease between
 * two distinct sorted values, grow until nodes are pure or would leave fewer than
 * `minSamplesLeaf` distinct rows a side. Features are presorted once per fit and each node
 * stably partitions the per-feature orders, so a node costs O(features x rows in node).
 *
 * Out-of-bag predictions come for free (each row averaged over the trees that did not
 * draw it); they give the conformal interval without a held-out set.
 */
import type { FlatForest } from '../pipeline/trees.js';

export interface ForestOptions {
  nTrees?: number;
  /** Features tried per split: a fraction of all (scikit-learn's default for regression is 1.0) or a count >= 1. */
  maxFeatures?: number;
  minSamplesLeaf?: number;
  maxDepth?: number;
  seed?: number;
}

export interface FittedForest {
  forest: FlatForest;
  /** Out-of-bag prediction per row; NaN for a row every tree drew. */
  oob: Float64Array;
}

export const DEFAULT_FOREST_OPTIONS: Required<ForestOptions> = { nTrees: 100, maxFeatures: 1, minSamplesLeaf: 3, maxDepth: 64, seed: 1 };

/** Deterministic PRNG (mulberry32) so a seed reproduces a model exactly. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Fits a forest. X is row-major n x d float32 (already scaled); y has n finite targets.
 */
export function fitForest(X: Float32Array, y: ArrayLike<number>, d: number, options: ForestOptions = {}): FittedForest {
  const o = { ...DEFAULT_FOREST_OPTIONS, ...options };
  const n = y.length;
  if (n < 2 || X.length !== n * d) throw new RangeError(`fitForest: need n >= 2 rows of ${d} features, got ${n} rows and ${X.length} values`);
  if (d > 127) throw new RangeError('fitForest: at most 127 features');
  const k = o.maxFeatures <= 1 ? Math.max(1, Math.round(o.maxFeatures * d)) : Math.min(d, Math.floor(o.maxFeatures));
  const random = rng(o.seed);
  const presorted = presort(X, n, d);
  const nodes = new NodeStore();
  const offsets = new Int32Array(o.nTrees);
  const oobSum = new Float64Array(n);
  const oobCount = new Int32Array(n);
  const w = new Int32Array(n);
  for (let t = 0; t < o.nTrees; t++) {
    w.fill(0);
    for (let i = 0; i < n; i++) w[Math.floor(random() * n)]!++;
    offsets[t] = nodes.length;
    const tree = new TreeBuilder(X, y, w, d, k, o.minSamplesLeaf, o.maxDepth, random, nodes, presorted);
    tree.build();
    for (let i = 0; i < n; i++) {
      if (w[i]) continue;
      oobSum[i] += predictTree(nodes, offsets[t]!, X, i * d);
      oobCount[i]!++;
    }
  }
  const oob = new Float64Array(n);
  for (let i = 0; i < n; i++) oob[i] = oobCount[i] ? oobSum[i]! / oobCount[i]! : NaN;
  return { forest: nodes.finish(offsets), oob };
}

/** Row indices sorted by each feature (ties by row index), computed once per fit. */
function presort(X: Float32Array, n: number, d: number): Int32Array[] {
  const out: Int32Array[] = [];
  for (let f = 0; f < d; f++) {
    const idx = Int32Array.from({ length: n }, (_, i) => i);
    idx.sort((a, b) => X[a * d + f]! - X[b * d + f]! || a - b);
    out.push(idx);
  }
  return out;
}

function predictTree(s: NodeStore, start: number, X: Float32Array, row: number): number {
  let i = start;
  while (s.feature[i]! >= 0) i = X[row + s.feature[i]!]! <= s.value[i]! ? i + 1 : s.right[i]!;
  return s.value[i]!;
}

/** Growable node arrays (preorder, left child = next node). */
class NodeStore {
  feature = new Int8Array(1024);
  value = new Float32Array(1024);
  right = new Int32Array(1024);
  length = 0;
  push(feature: number, value: number): number {
    if (this.length === this.feature.length) this.grow();
    const i = this.length++;
    this.feature[i] = feature;
    this.value[i] = value;
    this.right[i] = -1;
    return i;
  }
  private grow(): void {
    const m = this.feature.length * 2;
    const f = new Int8Array(m); f.set(this.feature); this.feature = f;
    const v = new Float32Array(m); v.set(this.value); this.value = v;
    const r = new Int32Array(m); r.set(this.right); this.right = r;
  }
  finish(offsets: Int32Array): FlatForest {
    return { offsets, feature: this.feature.slice(0, this.length), value: this.value.slice(0, this.length), right: this.right.slice(0, this.length) };
  }
}

/** Grows one tree on the rows with bootstrap weight w > 0. */
class TreeBuilder {
  private order: Int32Array[];
  private goLeft: Uint8Array;
  private tmp: Int32Array;
  private feats: Int32Array;

  constructor(
    private X: Float32Array, private y: ArrayLike<number>, private w: Int32Array, private d: number,
    private k: number, private minLeaf: number, private maxDepth: number, private random: () => number,
    private nodes: NodeStore, presorted: Int32Array[],
  ) {
    // Keep each feature's sorted order, restricted to the rows this tree drew.
    const m = w.reduce((c, v) => c + (v > 0 ? 1 : 0), 0);
    this.order = presorted.map((p) => {
      const o = new Int32Array(m);
      let j = 0;
      for (const i of p) if (w[i]) o[j++] = i;
      return o;
    });
    this.goLeft = new Uint8Array(y.length);
    this.tmp = new Int32Array(m);
    this.feats = Int32Array.from({ length: d }, (_, i) => i);
  }

  build(): void {
    this.grow(0, this.order[0]!.length, 0);
  }

  private grow(lo: number, hi: number, depth: number): void {
    const rows = this.order[0]!;
    let W = 0, S = 0, SS = 0;
    for (let j = lo; j < hi; j++) {
      const i = rows[j]!, wi = this.w[i]!, yi = this.y[i]!;
      W += wi; S += wi * yi; SS += wi * yi * yi;
    }
    const mean = S / W;
    const pure = SS / W - mean * mean <= 1e-12 * Math.max(1, mean * mean);
    const split = pure || depth >= this.maxDepth || hi - lo < 2 * this.minLeaf ? null : this.bestSplit(lo, hi, S * S / W);
    if (!split) { this.nodes.push(-1, mean); return; }
    const node = this.nodes.push(split.feature, split.threshold);
    const mid = this.partition(lo, hi, split.feature, split.threshold);
    this.grow(lo, mid, depth + 1);
    this.nodes.right[node] = this.nodes.length;
    this.grow(mid, hi, depth + 1);
  }

  /** Best split over k random features, or null when none beats the parent. */
  private bestSplit(lo: number, hi: number, parentScore: number): { feature: number; threshold: number } | null {
    const { X, d, w, y, feats } = this;
    for (let a = 0; a < this.k; a++) {
      const b = a + Math.floor(this.random() * (d - a));
      const t = feats[a]!; feats[a] = feats[b]!; feats[b] = t;
    }
    let best = parentScore * (1 + 1e-12) + 1e-15;
    let bestF = -1, bestT = 0;
    let Wt = 0, St = 0;
    const rows = this.order[0]!;
    for (let j = lo; j < hi; j++) { const i = rows[j]!; Wt += w[i]!; St += w[i]! * y[i]!; }
    const count = hi - lo;
    for (let a = 0; a < this.k; a++) {
      const f = feats[a]!;
      const ord = this.order[f]!;
      let Wl = 0, Sl = 0;
      for (let j = lo; j < hi - 1; j++) {
        const i = ord[j]!;
        Wl += w[i]!; Sl += w[i]! * y[i]!;
        const nl = j - lo + 1;
        if (nl < this.minLeaf) continue;
        if (count - nl < this.minLeaf) break;
        const xa = X[i * d + f]!, xb = X[ord[j + 1]! * d + f]!;
        if (xa === xb) continue;
        const Wr = Wt - Wl, Sr = St - Sl;
        const score = (Sl * Sl) / Wl + (Sr * Sr) / Wr;
        if (score > best) {
          best = score; bestF = f;
          const m = Math.fround((xa + xb) / 2);
          bestT = m < xb ? m : xa;
        }
      }
    }
    return bestF < 0 ? null : { feature: bestF, threshold: bestT };
  }

  /** Stable partition of every feature's order in [lo,hi); returns the first right index. */
  private partition(lo: number, hi: number, f: number, thr: number): number {
    const { X, d, goLeft, tmp } = this;
    const rows = this.order[f]!;
    let nl = 0;
    for (let j = lo; j < hi; j++) {
      const i = rows[j]!;
      const left = X[i * d + f]! <= thr ? 1 : 0;
      goLeft[i] = left; nl += left;
    }
    for (const ord of this.order) {
      let l = lo, r = 0;
      for (let j = lo; j < hi; j++) {
        const i = ord[j]!;
        if (goLeft[i]) ord[l++] = i; else tmp[r++] = i;
      }
      ord.set(tmp.subarray(0, r), l);
    }
    return lo + nl;
  }
}
