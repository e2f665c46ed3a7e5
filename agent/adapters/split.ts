/**
 * Touching objects out of one component: a U-Net's map often joins two cavities that touch or
 * overlap in projection into one "peanut" component. Its distance transform has one peak per
 * cavity with a saddle at the neck; a convex shape (disc, hexagon, rectangle) has one peak or a
 * flat ridge, so it is never cut. Peaks are kept apart when both stand out of the saddle by a
 * share of their own height (persistence, as in a watershed with h-maxima); the pixels below
 * the saddle go to the nearest peak's core. Holes are filled first, so a void seen as a rim
 * stays one object.
 */
import type { Detection, Mask } from '../types.js';

export interface SplitOptions {
  /** A peak is kept apart when it stands at least this share of its height above the saddle (0 = never split). */
  depth: number;
  /** Parts with fewer pixels are dropped; when fewer than two remain, the component stays whole. */
  minArea: number;
}

/** A peak must also stand this many pixels above the saddle: ragged outlines make shallower dips. */
const MIN_DEPTH_PX = 2;

/** Chamfer weights 3 (side) and 4 (diagonal): distances in thirds of a pixel, integers. */
const SIDE = 3, DIAG = 4;

/**
 * Splits each detection of `dets` (in the map's pixel coordinates) where its mask holds several
 * persistent peaks; each part's score is the mean of `prob` (read at `rowStride`) over its pixels.
 */
export function splitTouching(dets: Detection[], prob: Float32Array, rowStride: number, o: SplitOptions): Detection[] {
  if (!(o.depth > 0)) return dets;
  const out: Detection[] = [];
  let cut = false;
  for (const d of dets) {
    const parts = d.mask ? splitMask(d.mask, o) : [];
    if (parts.length < 2) { out.push(d); continue; }
    for (const m of parts) out.push(partDetection(m, d.label, prob, rowStride));
    cut = true;
  }
  // Parts score on their own, so the score order (components.ts) is restored only when there are any.
  return cut ? out.sort((a, b) => b.score - a.score) : out;
}

/** The mask's parts (at least two), or [] when it is one object. */
function splitMask(mask: Mask, o: SplitOptions): Mask[] {
  const w = mask.width + 2, h = mask.height + 2; // a ring of background around the box
  const filled = fillHoles(mask, w, h);
  const dist = chamfer(filled, w, h);
  const label = flood(dist, w, h, (p, v) => p - v >= Math.max(MIN_DEPTH_PX * SIDE, o.depth * p));
  return masksOf(label, mask, w, o.minArea);
}

/** The padded mask with every hole (background not reachable from the border) filled. */
function fillHoles(mask: Mask, w: number, h: number): Uint8Array {
  const inside = new Uint8Array(w * h);
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) inside[(y + 1) * w + x + 1] = mask.data[y * mask.width + x]!;
  }
  const outside = new Uint8Array(w * h);
  const stack = [0];
  outside[0] = 1;
  while (stack.length > 0) {
    const i = stack.pop()!;
    const x = i % w, y = (i - x) / w;
    for (const j of [x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1, y < h - 1 ? i + w : -1]) {
      if (j >= 0 && !outside[j] && !inside[j]) { outside[j] = 1; stack.push(j); }
    }
  }
  for (let i = 0; i < w * h; i++) inside[i] = outside[i] ? 0 : 1;
  return inside;
}

/** Two-pass 3-4 chamfer distance of every inside pixel to the nearest outside one (the ring is outside). */
function chamfer(inside: Uint8Array, w: number, h: number): Int32Array {
  const big = 1 << 29;
  const d = new Int32Array(w * h);
  for (let i = 0; i < w * h; i++) d[i] = inside[i] ? big : 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      if (d[i]) d[i] = Math.min(d[i]!, d[i - 1]! + SIDE, d[i - w]! + SIDE, d[i - w - 1]! + DIAG, d[i - w + 1]! + DIAG);
    }
  }
  for (let y = h - 2; y > 0; y--) {
    for (let x = w - 2; x > 0; x--) {
      const i = y * w + x;
      if (d[i]) d[i] = Math.min(d[i]!, d[i + 1]! + SIDE, d[i + w]! + SIDE, d[i + w + 1]! + DIAG, d[i + w - 1]! + DIAG);
    }
  }
  return d;
}

/**
 * Floods the inside pixels from the highest distance down (union-find over regions). Where two
 * regions meet at level v, the lower-peaked one joins the other unless both peaks stand out of
 * v (`stands`); then both stop growing by the flood at v, and the pixels below v go to the
 * nearest of the cores (geodesic, within the mask), so the cut follows the neck instead of the
 * flood's scan order. Labels are region roots + 1 (0 = outside).
 */
function flood(dist: Int32Array, w: number, h: number, stands: (peak: number, v: number) => boolean): Int32Array {
  const order = pixelsByDistance(dist);
  const parent = new Int32Array(w * h).fill(-1);
  const peak = new Int32Array(w * h);
  const met = new Int32Array(w * h).fill(-1); // per root: the level where it was first kept apart
  const find = (i: number): number => { while (parent[i] !== i) { parent[i] = parent[parent[i]!]!; i = parent[i]!; } return i; };
  for (const i of order) {
    let root = -1;
    for (const j of neighbours(i, w)) {
      if (parent[j]! < 0) continue;
      const r = find(j);
      if (root < 0 || r === root) { root = r; continue; }
      const [hi, lo] = peak[r]! > peak[root]! ? [r, root] : [root, r];
      if (stands(peak[lo]!, dist[i]!) && stands(peak[hi]!, dist[i]!)) {
        if (met[lo]! < 0) met[lo] = dist[i]!;
        if (met[hi]! < 0) met[hi] = dist[i]!;
      } else {
        parent[lo] = hi;
        met[hi] = Math.max(met[hi]!, met[lo]!);
      }
      root = hi;
    }
    if (root < 0) { parent[i] = i; peak[i] = dist[i]!; } else parent[i] = root;
  }
  return fromCores(order, dist, w, (i) => { const r = find(i); return met[r]! < 0 || dist[i]! > met[r]! ? r + 1 : 0; });
}

const neighbours = (i: number, w: number): number[] => [i - w - 1, i - w, i - w + 1, i - 1, i + 1, i + w - 1, i + w, i + w + 1];

/** Labels of the core pixels (`coreLabel` > 0), then every other inside pixel takes its nearest core's label (breadth first). */
function fromCores(order: Int32Array, dist: Int32Array, w: number, coreLabel: (i: number) => number): Int32Array {
  const label = new Int32Array(dist.length);
  const queue = new Int32Array(order.length);
  let tail = 0;
  for (const i of order) { const l = coreLabel(i); if (l > 0) { label[i] = l; queue[tail++] = i; } }
  for (let head = 0; head < tail; head++) {
    const i = queue[head]!;
    for (const j of neighbours(i, w)) if (dist[j]! > 0 && label[j] === 0) { label[j] = label[i]!; queue[tail++] = j; }
  }
  return label;
}

/** Inside pixels (distance > 0) sorted by distance, highest first (a counting sort: distances are small integers). */
function pixelsByDistance(dist: Int32Array): Int32Array {
  let max = 0, n = 0;
  for (const v of dist) { if (v > max) max = v; if (v > 0) n++; }
  const start = new Int32Array(max + 2);
  for (const v of dist) if (v > 0) start[max - v + 1]++;
  for (let k = 1; k <= max + 1; k++) start[k]! += start[k - 1]!;
  const order = new Int32Array(n);
  for (let i = 0; i < dist.length; i++) if (dist[i]! > 0) order[start[max - dist[i]!]!++] = i;
  return order;
}

/** One box-local mask per region, of the original (unfilled) pixels; regions under minArea are dropped. */
function masksOf(label: Int32Array, mask: Mask, w: number, minArea: number): Mask[] {
  const pixels = new Map<number, number[]>();
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (!mask.data[y * mask.width + x]) continue;
      const l = label[(y + 1) * w + x + 1]!;
      let list = pixels.get(l);
      if (!list) pixels.set(l, (list = []));
      list.push(y * mask.width + x);
    }
  }
  const parts = [...pixels.values()].filter((p) => p.length >= minArea);
  return parts.length < 2 ? [] : parts.map((p) => cropMask(p, mask));
}

/** The tight mask (image coordinates) of pixel indices `p` of `mask`'s rectangle. */
function cropMask(p: number[], mask: Mask): Mask {
  let x1 = Infinity, y1 = Infinity, x2 = -1, y2 = -1;
  for (const i of p) {
    const x = i % mask.width, y = (i - x) / mask.width;
    x1 = Math.min(x1, x); x2 = Math.max(x2, x); y1 = Math.min(y1, y); y2 = Math.max(y2, y);
  }
  const width = x2 - x1 + 1, height = y2 - y1 + 1;
  const data = new Uint8Array(width * height);
  for (const i of p) { const x = i % mask.width, y = (i - x) / mask.width; data[(y - y1) * width + x - x1] = 1; }
  return { x0: mask.x0 + x1, y0: mask.y0 + y1, width, height, data };
}

/** A part as a detection: tight box, its mask, the mean probability over its pixels. */
function partDetection(m: Mask, label: number, prob: Float32Array, rowStride: number): Detection {
  let sum = 0, n = 0;
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      if (!m.data[y * m.width + x]) continue;
      sum += prob[(m.y0 + y) * rowStride + m.x0 + x]!; n++;
    }
  }
  const score = Math.min(1, Math.max(0, sum / n));
  return { box: [m.x0, m.y0, m.x0 + m.width, m.y0 + m.height], score, label, mask: m };
}
