/**
 * Labels: the COCO outline of each cavity and the decision whether a detector should find it.
 *
 * Visibility (only visible cavities become annotations) asks whether an observer who knows
 * what the cavity looks like could find it: the matched-filter SNR of its signal against shot
 * noise and clutter together. On the noise-free image I and the same specimen rendered without
 * its cavities, B (render.ts), for a cavity of radius r px with Fresnel fringe w = sqrt(λ|z|)/px:
 *  - the template is the cavity's own signal Δ = (I − B)/b over the disk D of radius r + w,
 *    b the median of B in the surrounding annulus; contrast C = RMS of Δ over D (n_D pixels);
 *  - shot noise: the Rose SNR C·sqrt(n_D)·sqrt(N·b), N electrons per pixel at I = 1;
 *  - clutter: the template is slid over B at 24 places around the cavity (mean removed per
 *    window) and the spread of those correlations is expressed as an equivalent white noise
 *    σ_c per pixel (relative to b); mottle, amorphous grain and distractors at the cavity's own
 *    scale count, flat gradients and grain far finer than the cavity average out, as they do
 *    for the eye;
 *  - visible when the diameter is ≥ MIN_DIAMETER_PX and
 *    C·sqrt(n_D) / sqrt(1/(N·b) + σ_c²) ≥ ROSE_K.
 * An earlier rule compared C with the pixel std of the annulus on I: it counted a cavity's own
 * fringe tail, its neighbours and pixel-scale grain as clutter and left plainly visible cavities
 * unlabelled (half the bundled detector's false positives sat on such cavities).
 * The thresholds are constants here so a dataset's manifest can quote them.
 */
import type { Cavity } from './specimen.js';
import { polygonGauge } from './specimen.js';

export const MIN_DIAMETER_PX = 2;
export const ROSE_K = 5;
/** Template positions for the clutter estimate: two rings of 12 around the cavity. */
const CLUTTER_RINGS = [2.5, 4];
const CLUTTER_PER_RING = 12;

export interface CavityLabel {
  /** Polygon [x1, y1, x2, y2, ...] in image pixels, clipped to the image. */
  polygon: number[];
  bbox: [number, number, number, number];
  area: number;
  cx: number;
  cy: number;
  diameterNm: number;
  depthNm: number;
  shape: 'sphere' | 'faceted';
  /** Rose SNR (shot noise only), RMS relative contrast, equivalent clutter σ_c, and the combined SNR that decides. */
  snr: number;
  contrast: number;
  clutter: number;
  detectability: number;
  visible: boolean;
}

/** The projected outline of a cavity as a closed polygon (unclipped), image pixels. */
export function outline(c: Cavity, pixelNm: number): number[] {
  const r = c.radiusNm / pixelNm;
  const pts: number[] = [];
  if (c.outlinePx) {
    for (let i = 0; i < c.outlinePx.length; i += 2) pts.push(c.cx + c.outlinePx[i]!, c.cy + c.outlinePx[i + 1]!);
    return pts;
  }
  if (c.faceted) {
    // The rounded polygon g = 1, sampled along 8 rays per side: ρ(θ) = 1 / g(cos θ, sin θ).
    const k = 8 * c.sides;
    for (let i = 0; i < k; i++) {
      const a = (i * 2 * Math.PI) / k;
      const rho = r / polygonGauge(Math.cos(a), Math.sin(a), c.sides, c.angle);
      pts.push(c.cx + rho * Math.cos(a), c.cy + rho * Math.sin(a));
    }
    return pts;
  }
  const k = Math.min(48, Math.max(12, Math.round(Math.PI * r)));
  for (let i = 0; i < k; i++) {
    const a = (i * 2 * Math.PI) / k;
    pts.push(c.cx + r * Math.cos(a), c.cy + r * Math.sin(a));
  }
  return pts;
}

/** Sutherland–Hodgman clip of a polygon to [0,w]×[0,h]. */
export function clipPolygon(pts: number[], w: number, h: number): number[] {
  type Edge = (x: number, y: number) => number;
  const edges: Edge[] = [(x) => x, (x) => w - x, (_x, y) => y, (_x, y) => h - y];
  let poly = pts;
  for (const e of edges) {
    const out: number[] = [];
    const m = poly.length / 2;
    for (let i = 0; i < m; i++) {
      const ax = poly[2 * i]!, ay = poly[2 * i + 1]!;
      const bx = poly[(2 * i + 2) % poly.length]!, by = poly[(2 * i + 3) % poly.length]!;
      const da = e(ax, ay), db = e(bx, by);
      if (da >= 0) out.push(ax, ay);
      if ((da >= 0) !== (db >= 0)) { const t = da / (da - db); out.push(ax + t * (bx - ax), ay + t * (by - ay)); }
    }
    poly = out;
    if (!poly.length) break;
  }
  return poly;
}

/** Shoelace area of a polygon. */
export function polygonArea(pts: number[]): number {
  let s = 0;
  const m = pts.length / 2;
  for (let i = 0; i < m; i++) {
    const j = (i + 1) % m;
    s += pts[2 * i]! * pts[2 * j + 1]! - pts[2 * j]! * pts[2 * i + 1]!;
  }
  return Math.abs(s) / 2;
}

export interface VisibilityInput {
  clean: Float32Array;
  /** The noise-free image of the same specimen without cavities (same size as clean). */
  background: Float32Array;
  width: number;
  height: number;
  pixelNm: number;
  fringeNm: number;
  countsPerPixel: number;
  /** Size of the periodic render grid: a cavity crossing an edge also shows on the far side. */
  period: number;
}

/**
 * Builds the label of every cavity (and of every periodic copy of it, shifted by the render
 * grid's period) that shows at least half of its area in the image.
 */
export function labelCavities(cavities: Cavity[], v: VisibilityInput): CavityLabel[] {
  const labels: CavityLabel[] = [];
  const copies: Cavity[] = [];
  for (const c of cavities) {
    for (const dy of [0, -v.period, v.period]) for (const dx of [0, -v.period, v.period]) copies.push({ ...c, cx: c.cx + dx, cy: c.cy + dy });
  }
  for (const c of copies) {
    const full = outline(c, v.pixelNm);
    const poly = clipPolygon(full, v.width, v.height);
    if (poly.length < 6) continue;
    const area = polygonArea(poly);
    if (area < 0.5 * polygonArea(full)) continue;
    const m = measureContrast(c, v);
    const dPx = (2 * c.radiusNm) / v.pixelNm;
    const visible = dPx >= MIN_DIAMETER_PX && m.detectability >= ROSE_K;
    const rounded = poly.map((x) => Math.round(x * 100) / 100);
    labels.push({
      polygon: rounded,
      bbox: bboxOf(rounded),
      area: Math.round(polygonArea(rounded) * 100) / 100,
      cx: c.cx, cy: c.cy, diameterNm: 2 * c.radiusNm, depthNm: c.depthNm,
      shape: c.faceted ? 'faceted' : 'sphere',
      ...m,
      visible,
    });
  }
  return labels;
}

function bboxOf(poly: number[]): [number, number, number, number] {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < poly.length; i += 2) {
    x0 = Math.min(x0, poly[i]!); x1 = Math.max(x1, poly[i]!);
    y0 = Math.min(y0, poly[i + 1]!); y1 = Math.max(y1, poly[i + 1]!);
  }
  const r = (x: number): number => Math.round(x * 100) / 100;
  return [r(x0), r(y0), r(x1 - x0), r(y1 - y0)];
}

export interface Visibility { snr: number; contrast: number; clutter: number; detectability: number }

const NOT_MEASURABLE: Visibility = { snr: 0, contrast: 0, clutter: Infinity, detectability: 0 };

/** Contrast, clutter and SNRs of one cavity (see the file comment). */
export function measureContrast(c: Cavity, v: VisibilityInput): Visibility {
  const r = c.radiusNm / v.pixelNm;
  const rd = r + v.fringeNm / v.pixelNm;
  const b = annulusMedian(c, v, rd + 1, rd + 1 + Math.max(3, r));
  if (!(b > 0)) return NOT_MEASURABLE;
  // The template: pixel offsets within D and the cavity's signal there.
  const dx: number[] = [], dy: number[] = [], t: number[] = [];
  const cx = Math.floor(c.cx), cy = Math.floor(c.cy);
  const R = Math.ceil(rd);
  for (let y = -R; y <= R; y++) {
    for (let x = -R; x <= R; x++) {
      const px = cx + x, py = cy + y;
      if (px < 0 || py < 0 || px >= v.width || py >= v.height) continue;
      if (Math.hypot(px + 0.5 - c.cx, py + 0.5 - c.cy) > rd) continue;
      const i = py * v.width + px;
      dx.push(x); dy.push(y); t.push((v.clean[i]! - v.background[i]!) / b);
    }
  }
  if (!t.length) return NOT_MEASURABLE;
  let norm2 = 0;
  for (const x of t) norm2 += x * x;
  if (!(norm2 > 0)) return NOT_MEASURABLE;
  const contrast = Math.sqrt(norm2 / t.length);
  const snr = Math.sqrt(norm2) * Math.sqrt(v.countsPerPixel * b);
  const sigmaC = clutterSigma(c, v, rd, dx, dy, t, b, norm2);
  const shotVar = 1 / (v.countsPerPixel * b);
  const detectability = Math.sqrt(norm2) / Math.sqrt(shotVar + sigmaC * sigmaC);
  return { snr, contrast, clutter: sigmaC, detectability };
}

/** Median of B over the annulus r1 ≤ d ≤ r2 around the cavity: the local background level. */
function annulusMedian(c: Cavity, v: VisibilityInput, r1: number, r2: number): number {
  const ring: number[] = [];
  const x0 = Math.max(0, Math.floor(c.cx - r2)), x1 = Math.min(v.width - 1, Math.ceil(c.cx + r2));
  const y0 = Math.max(0, Math.floor(c.cy - r2)), y1 = Math.min(v.height - 1, Math.ceil(c.cy + r2));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const d = Math.hypot(x + 0.5 - c.cx, y + 0.5 - c.cy);
      if (d >= r1 && d <= r2) ring.push(v.background[y * v.width + x]!);
    }
  }
  if (ring.length < 4) return NaN;
  ring.sort((a, b) => a - b);
  return ring[ring.length >> 1]!;
}

/**
 * The clutter as an equivalent white noise per pixel: the std, over template positions around
 * the cavity, of the correlation of the template with B (window mean removed), divided by
 * ‖template‖·b. For white clutter of std σ this returns σ/b.
 * A large void's rings (2.5 and 4 template radii out) leave the image; then the template is
 * slid to 0.75 and 1.25 radii instead (B has no cavity there either) and windows may be cut by
 * the image edge, as long as half of the template stays inside.
 */
function clutterSigma(c: Cavity, v: VisibilityInput, rd: number, dx: number[], dy: number[], t: number[], b: number, norm2: number): number {
  let dots = ringDots(c, v, rd, dx, dy, t, CLUTTER_RINGS, 1);
  if (dots.length < 8) dots = ringDots(c, v, rd, dx, dy, t, NEAR_RINGS, 0.5);
  if (dots.length < 8) return Infinity;
  return std(dots) / (Math.sqrt(norm2) * b);
}

const NEAR_RINGS = [0.75, 1.25];

function ringDots(c: Cavity, v: VisibilityInput, rd: number, dx: number[], dy: number[], t: number[], rings: number[], minInside: number): number[] {
  const dots: number[] = [];
  for (const k of rings) {
    for (let j = 0; j < CLUTTER_PER_RING; j++) {
      const a = (2 * Math.PI * (j + (k === rings[0] ? 0 : 0.5))) / CLUTTER_PER_RING;
      const ox = Math.round(c.cx + k * rd * Math.cos(a)) - Math.floor(c.cx);
      const oy = Math.round(c.cy + k * rd * Math.sin(a)) - Math.floor(c.cy);
      const d = windowDot(v, Math.floor(c.cx) + ox, Math.floor(c.cy) + oy, dx, dy, t, minInside);
      if (d !== null) dots.push(d);
    }
  }
  return dots;
}

/**
 * Σ t·(B − mean B) over the template's pixels placed at (x, y) that fall in the image; null
 * when fewer than `minInside` of them do (1: the whole template must fit).
 */
function windowDot(v: VisibilityInput, x: number, y: number, dx: number[], dy: number[], t: number[], minInside: number): number | null {
  let sumB = 0, sumT = 0, sumTB = 0, m = 0;
  for (let j = 0; j < t.length; j++) {
    const px = x + dx[j]!, py = y + dy[j]!;
    if (px < 0 || py < 0 || px >= v.width || py >= v.height) {
      if (minInside >= 1) return null;
      continue;
    }
    const bg = v.background[py * v.width + px]!;
    sumB += bg; sumT += t[j]!; sumTB += t[j]! * bg; m++;
  }
  if (m < minInside * t.length || m === 0) return null;
  return sumTB - (sumT * sumB) / m;
}

function std(xs: number[]): number {
  let mean = 0;
  for (const x of xs) mean += x;
  mean /= xs.length;
  let var_ = 0;
  for (const x of xs) var_ += (x - mean) ** 2;
  return Math.sqrt(var_ / xs.length);
}
