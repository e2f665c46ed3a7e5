/**
 * Labels: the COCO outline of each cavity and the decision whether a detector should find it.
 *
 * Visibility (only visible cavities become annotations) combines three tests on the
 * noise-free image I, for a cavity of radius r px with Fresnel fringe w = sqrt(λ|z|)/pixel:
 *  1. size: diameter ≥ MIN_DIAMETER_PX (a 1-pixel blob is not an object);
 *  2. Rose criterion against shot noise: C·sqrt(n_D)·sqrt(N·b) ≥ ROSE_K, where C is the RMS
 *     relative contrast (I − b)/b over the disk D of radius r + w (n_D pixels), b the median of
 *     I in the surrounding annulus and N the electrons per pixel at I = 1;
 *  3. stands out of the clutter: C ≥ CLUTTER_K · (relative std of I in the annulus), so a faint
 *     cavity buried in mottle or amorphous granularity of equal strength is not labelled.
 * The thresholds are constants here so a dataset's manifest can quote them.
 */
import type { Cavity } from './specimen.js';
import { polygonGauge } from './specimen.js';

export const MIN_DIAMETER_PX = 2;
export const ROSE_K = 5;
export const CLUTTER_K = 1.5;

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
  /** Rose SNR, relative contrast and clutter used for the decision. */
  snr: number;
  contrast: number;
  clutter: number;
  visible: boolean;
}

/** The projected outline of a cavity as a closed polygon (unclipped), image pixels. */
export function outline(c: Cavity, pixelNm: number): number[] {
  const r = c.radiusNm / pixelNm;
  const pts: number[] = [];
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
    const visible = dPx >= MIN_DIAMETER_PX && m.snr >= ROSE_K && m.contrast >= CLUTTER_K * m.clutter;
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

/** Contrast, clutter and Rose SNR of one cavity (see the file comment). */
export function measureContrast(c: Cavity, v: VisibilityInput): { snr: number; contrast: number; clutter: number } {
  const r = c.radiusNm / v.pixelNm;
  const rd = r + v.fringeNm / v.pixelNm;
  const r1 = rd + 1, r2 = r1 + Math.max(3, r);
  const inner: number[] = [];
  const ring: number[] = [];
  const x0 = Math.max(0, Math.floor(c.cx - r2)), x1 = Math.min(v.width - 1, Math.ceil(c.cx + r2));
  const y0 = Math.max(0, Math.floor(c.cy - r2)), y1 = Math.min(v.height - 1, Math.ceil(c.cy + r2));
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const d = Math.hypot(x + 0.5 - c.cx, y + 0.5 - c.cy);
      const val = v.clean[y * v.width + x]!;
      if (d <= rd) inner.push(val);
      else if (d >= r1 && d <= r2) ring.push(val);
    }
  }
  if (!inner.length || ring.length < 4) return { snr: 0, contrast: 0, clutter: Infinity };
  ring.sort((a, b) => a - b);
  const b = ring[ring.length >> 1]!;
  if (!(b > 0)) return { snr: 0, contrast: 0, clutter: Infinity };
  let s2 = 0;
  for (const x of inner) s2 += ((x - b) / b) ** 2;
  const contrast = Math.sqrt(s2 / inner.length);
  let mean = 0;
  for (const x of ring) mean += x;
  mean /= ring.length;
  let var_ = 0;
  for (const x of ring) var_ += (x - mean) ** 2;
  const clutter = Math.sqrt(var_ / ring.length) / b;
  const snr = contrast * Math.sqrt(inner.length) * Math.sqrt(v.countsPerPixel * b);
  return { snr, contrast, clutter };
}
