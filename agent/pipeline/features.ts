/**
 * The 18 per-image features of Li et al. 2025 (paper-method.md), computed from one image's
 * detections. Pure: detections in, a named record out, so the forest sees exactly what the
 * paper's forest saw and the tests can check each number by hand.
 *
 * Definitions (n = number of detections, A = width * height, a_i = box area of detection i):
 * - counts_0.1 .. counts_0.9: fraction of the n detections whose score s falls in
 *   [0.1,0.2), ..., [0.8,0.9), [0.9, inf). Same as the public code's numpy.digitize with
 *   edges 0.1..0.9 divided by n: a score below 0.1 counts in n but in no bin.
 * - area_ratio = sum(a_i) / A (boxes may overlap, so it can exceed 1).
 * - avg_conf, std_conf: mean and population std of the scores.
 * - avg_size, std_size: mean and population std of a_i / A.
 * - avg_shape, std_shape: mean and population std of Heywood circularity (see circularity()).
 * - counts = n.
 * - image_confidence = sum(a_i s_i) / sum(a_i); avg_conf when every box has zero area.
 * Zero detections (the public code divides by zero): every feature is 0. That is a value no
 * image with detections can produce for counts, and circularity is >= 1 for any real
 * shape, so 0 marks "nothing detected" unambiguously for the forest.
 */
import { FEATURE_NAMES, type Detection, type Features, type Mask } from '../types.js';

/** Bin edges of counts_0.1..counts_0.9, as numpy.digitize(bins=[0.1..0.9]) uses them. */
const BIN_EDGES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] as const;

export function computeFeatures(detections: Detection[], width: number, height: number): Features {
  if (!(width > 0 && height > 0)) throw new RangeError(`computeFeatures: image size must be positive, got ${width}x${height}`);
  const out = zeroFeatures();
  const n = detections.length;
  if (n === 0) return out;
  const imageArea = width * height;
  const scores = detections.map((d) => d.score);
  const areas = detections.map((d) => boxArea(d.box));
  const sizes = areas.map((a) => a / imageArea);
  const shapes = detections.map(circularityOf);

  const bins = binFractions(scores);
  for (let i = 0; i < 9; i++) out[FEATURE_NAMES[i]!] = bins[i]!;
  out.area_ratio = sum(areas) / imageArea;
  [out.avg_conf, out.std_conf] = meanStd(scores);
  [out.avg_size, out.std_size] = meanStd(sizes);
  [out.avg_shape, out.std_shape] = meanStd(shapes);
  out.counts = n;
  const totalArea = sum(areas);
  out.image_confidence = totalArea > 0 ? sum(areas.map((a, i) => a * scores[i]!)) / totalArea : out.avg_conf;
  return out;
}

/** All 18 features at 0: the documented value for an image without detections. */
export function zeroFeatures(): Features {
  return Object.fromEntries(FEATURE_NAMES.map((k) => [k, 0])) as Features;
}

/** Fraction of scores in each of the 9 bins [0.1,0.2) ... [0.9,inf). */
export function binFractions(scores: readonly number[]): number[] {
  const counts = new Array<number>(9).fill(0);
  for (const s of scores) {
    let bin = -1;
    for (let i = 0; i < BIN_EDGES.length; i++) if (s >= BIN_EDGES[i]!) bin = i;
    if (bin >= 0) counts[bin]!++;
  }
  return counts.map((c) => (scores.length ? c / scores.length : 0));
}

/** Box area with exclusive x2,y2; a box with x2 < x1 has area 0, not a negative one. */
function boxArea(b: Detection['box']): number {
  return Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);
}

/** Pixels of a detection: its mask's set pixels, or its box's area when it has no mask. */
export function areaOf(d: Detection): number {
  if (!d.mask) return boxArea(d.box);
  let n = 0;
  for (const v of d.mask.data) n += v ? 1 : 0;
  return n;
}

/**
 * Heywood circularity of a detection: perimeter of the convex hull / circumference of the
 * circle of the same area. With a mask, the hull is that of the inside pixels' squares
 * (their corners) and the area is the pixel count; the hull then contains every pixel, so
 * by the isoperimetric inequality the value is >= 1 and tends to 1 for a digital disc.
 * Without a mask (box detectors) or with an empty one, the shape is taken to be the
 * ellipse inscribed in the box: 1 for a square box, larger for elongated ones.
 */
export function circularityOf(d: Detection): number {
  if (d.mask) {
    const c = maskCircularity(d.mask);
    if (c !== null) return c;
  }
  return ellipseCircularity(d.box[2] - d.box[0], d.box[3] - d.box[1]);
}

/** Heywood circularity of a bitmask (see circularityOf), or null when it has no pixels. */
export function maskCircularity(mask: Mask): number | null {
  // Only the outermost pixel squares of a row can be hull vertices, so the hull is that of two
  // y-ordered point lists: the leftmost and the rightmost pixel corner on each horizontal grid
  // line. No sort, no point objects: this runs once per detection, up to ~10^5 per image.
  const lines = mask.height + 1;
  const left = new Float64Array(lines).fill(Infinity);
  const right = new Float64Array(lines).fill(-Infinity);
  let area = 0;
  for (let y = 0; y < mask.height; y++) {
    let lo = -1;
    let hi = -1;
    const row = y * mask.width;
    for (let x = 0; x < mask.width; x++) {
      if (!mask.data[row + x]) continue;
      area++;
      if (lo < 0) lo = x;
      hi = x;
    }
    if (lo < 0) continue;
    if (lo < left[y]!) left[y] = lo;
    if (hi + 1 > right[y]!) right[y] = hi + 1;
    left[y + 1] = lo; // line y + 1 is first touched by this row
    right[y + 1] = hi + 1;
  }
  if (area === 0) return null;
  return rowHullPerimeter(left, right) / (2 * Math.sqrt(Math.PI * area));
}

/**
 * Perimeter of the convex hull of the points (left[y], y) and (right[y], y) over the lines y
 * where left[y] is finite: the left and right hull chains (each y-monotone), plus the top and
 * bottom edges between them.
 */
function rowHullPerimeter(left: Float64Array, right: Float64Array): number {
  const ys: number[] = [];
  for (let y = 0; y < left.length; y++) if (Number.isFinite(left[y]!)) ys.push(y);
  if (ys.length === 0) return 0;
  const top = ys[0]!;
  const bottom = ys[ys.length - 1]!;
  return chainLength(left, ys, 1) + chainLength(right, ys, -1) + (right[top]! - left[top]!) + (right[bottom]! - left[bottom]!);
}

/** Length of the convex chain through (xs[y], y), y in ys ascending; side 1 bulges left, -1 right. */
function chainLength(xs: Float64Array, ys: number[], side: 1 | -1): number {
  const stack = new Int32Array(ys.length);
  let n = 0;
  for (const y of ys) {
    // Pop the last point while it does not make a strict outward turn (cross product sign).
    while (n >= 2) {
      const a = stack[n - 2]!, b = stack[n - 1]!;
      const cross = (xs[b]! - xs[a]!) * (y - a) - (b - a) * (xs[y]! - xs[a]!);
      if (side * cross < 0) break;
      n--;
    }
    stack[n++] = y;
  }
  let len = 0;
  for (let i = 1; i < n; i++) len += Math.hypot(xs[stack[i]!]! - xs[stack[i - 1]!]!, stack[i]! - stack[i - 1]!);
  return len;
}

/** Circularity of the ellipse with axes w and h (Ramanujan's perimeter); 0 for a degenerate box. */
export function ellipseCircularity(w: number, h: number): number {
  const a = Math.max(0, w) / 2;
  const b = Math.max(0, h) / 2;
  if (a === 0 || b === 0) return 0;
  const perimeter = Math.PI * (3 * (a + b) - Math.sqrt((3 * a + b) * (a + 3 * b)));
  return perimeter / (2 * Math.PI * Math.sqrt(a * b));
}

function sum(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s;
}

/** Mean and population standard deviation (numpy's default ddof=0, as the public code). */
function meanStd(xs: readonly number[]): [number, number] {
  const m = sum(xs) / xs.length;
  let v = 0;
  for (const x of xs) v += (x - m) * (x - m);
  return [m, Math.sqrt(v / xs.length)];
}
