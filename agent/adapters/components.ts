/**
 * Probability map -> instances: 8-connected components of the pixels at or above a threshold,
 * each with its bounding box, box-local mask and a confidence taken from the map (the mean
 * probability over the component, so a faint, uncertain blob scores lower than a crisp one).
 *
 * Labelled by runs, not pixels: each row's runs of foreground are unioned with the runs they
 * touch in the row above (union-find over run indices, in typed arrays). A cavity map is
 * mostly background, so the work and memory follow the number of runs, not the frame size:
 * no per-pixel label image, no flood-fill stack (a 4096^2 map would need 128 MB for those).
 */
import type { Detection } from '../types.js';

export interface ComponentOptions {
  threshold: number;
  /** Components with fewer pixels are dropped (isolated noise). */
  minArea: number;
  label?: number;
}

/** Growable typed-array columns of the runs found so far. */
class Runs {
  y = new Int32Array(1024);
  x0 = new Int32Array(1024);
  x1 = new Int32Array(1024); // exclusive
  sum = new Float64Array(1024);
  parent = new Int32Array(1024);
  n = 0;

  push(y: number, x0: number, x1: number, sum: number): number {
    if (this.n === this.y.length) this.grow();
    const i = this.n++;
    this.y[i] = y; this.x0[i] = x0; this.x1[i] = x1; this.sum[i] = sum; this.parent[i] = i;
    return i;
  }

  private grow(): void {
    const cap = this.y.length * 2;
    const g = <T extends Int32Array | Float64Array>(a: T): T => { const b = new (a.constructor as new (n: number) => T)(cap); b.set(a); return b; };
    this.y = g(this.y); this.x0 = g(this.x0); this.x1 = g(this.x1); this.sum = g(this.sum); this.parent = g(this.parent);
  }

  find(i: number): number {
    const p = this.parent;
    let r = i;
    while (p[r] !== r) r = p[r]!;
    while (p[i] !== r) { const next = p[i]!; p[i] = r; i = next; }
    return r;
  }

  /** Joins two sets; the smaller run index is the root, so a root is its component's first run in raster order. */
  union(a: number, b: number): void {
    const ra = this.find(a), rb = this.find(b);
    if (ra < rb) this.parent[rb] = ra; else if (rb < ra) this.parent[ra] = rb;
  }
}

/** Appends row y's foreground runs (with their probability sums) to `runs`. */
function scanRow(prob: Float32Array, base: number, width: number, y: number, t: number, runs: Runs): void {
  let x = 0;
  while (x < width) {
    if (prob[base + x]! < t) { x++; continue; }
    const start = x;
    let sum = 0;
    for (; x < width; x++) {
      const v = prob[base + x]!;
      if (v < t) break;
      sum += v;
    }
    runs.push(y, start, x, sum);
  }
}

/** Unions each run of the current row with the 8-connected runs of the row above (two pointers). */
function joinRows(runs: Runs, prevStart: number, curStart: number, curEnd: number): void {
  let p = prevStart;
  for (let c = curStart; c < curEnd; c++) {
    const a = runs.x0[c]!, b = runs.x1[c]!;
    while (p < curStart && runs.x1[p]! < a) p++; // previous run ends more than one pixel left of c
    for (let q = p; q < curStart && runs.x0[q]! <= b; q++) runs.union(c, q);
  }
}

/**
 * `prob` is a row-major map of `width` x `height` values read at stride `rowStride` (so a
 * padded network output can be cropped without copying). Returns detections sorted by score
 * descending (ties in raster order of their first pixel), in the map's pixel coordinates.
 */
export function componentsToDetections(prob: Float32Array, width: number, height: number, rowStride: number, opts: ComponentOptions): Detection[] {
  const runs = new Runs();
  let prevStart = 0;
  for (let y = 0; y < height; y++) {
    const curStart = runs.n;
    scanRow(prob, y * rowStride, width, y, opts.threshold, runs);
    if (y > 0) joinRows(runs, prevStart, curStart, runs.n);
    prevStart = curStart;
  }
  return collect(runs, opts).sort((a, b) => b.score - a.score);
}

interface Component { area: number; sum: number; x1: number; y1: number; x2: number; y2: number; first: number; count: number }

/** Per-component statistics, then each component's mask from its runs (runs grouped by a counting sort). */
function collect(runs: Runs, opts: ComponentOptions): Detection[] {
  const n = runs.n;
  const compOf = new Int32Array(n);
  const comps: Component[] = [];
  const idOfRoot = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const r = runs.find(i);
    let id = idOfRoot[r]!;
    if (id < 0) { id = idOfRoot[r] = comps.length; comps.push({ area: 0, sum: 0, x1: Infinity, y1: Infinity, x2: -1, y2: -1, first: 0, count: 0 }); }
    compOf[i] = id;
    const c = comps[id]!;
    const x0 = runs.x0[i]!, x1 = runs.x1[i]!, y = runs.y[i]!;
    c.area += x1 - x0; c.sum += runs.sum[i]!; c.count++;
    if (x0 < c.x1) c.x1 = x0;
    if (x1 - 1 > c.x2) c.x2 = x1 - 1;
    if (y < c.y1) c.y1 = y;
    if (y > c.y2) c.y2 = y;
  }
  let at = 0;
  for (const c of comps) { c.first = at; at += c.count; c.count = 0; }
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) { const c = comps[compOf[i]!]!; order[c.first + c.count++] = i; }
  const out: Detection[] = [];
  for (const c of comps) {
    if (c.area < opts.minArea) continue;
    out.push(toDetection(c, runs, order, opts.label ?? 0));
  }
  return out;
}

function toDetection(c: Component, runs: Runs, order: Int32Array, label: number): Detection {
  const w = c.x2 - c.x1 + 1;
  const h = c.y2 - c.y1 + 1;
  const data = new Uint8Array(w * h);
  for (let k = c.first; k < c.first + c.count; k++) {
    const i = order[k]!;
    const row = (runs.y[i]! - c.y1) * w - c.x1;
    data.fill(1, row + runs.x0[i]!, row + runs.x1[i]!);
  }
  const score = Math.min(1, Math.max(0, c.sum / c.area));
  return { box: [c.x1, c.y1, c.x2 + 1, c.y2 + 1], score, label, mask: { x0: c.x1, y0: c.y1, width: w, height: h, data } };
}
