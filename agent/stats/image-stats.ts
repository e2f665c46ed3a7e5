/**
 * The numbers a microscopist reports for one image, as the paper's public script defines them
 * (uw-cmg/cavity_defect_detection, make_object_predictions.py; reimplemented here):
 *   density      detections / image area (per nm²; the script prints it ×10⁴)
 *   size         diameter 2·sqrt(r_min·r_max) of the convex hull of the mask's pixels, r measured
 *                from the mean of the hull's vertices (a disc gives its diameter, an ellipse the
 *                geometric mean of its axes); mean and population std over the detections
 *   circularity  Heywood: hull perimeter / circumference of the circle of the same area (≥ 1)
 *   swelling     100·V / (A·t − V), V = Σ π/6·d³ (each cavity a sphere of its size), A the image
 *                area, t the foil thickness
 * All of it needs the pixel size in nm; swelling also the thickness. Missing: null with the reason.
 */
import { circularityOf } from '../pipeline/features.js';
import type { Detection, Frame } from '../types.js';
import { sizeHistogram, type SizeHistogram } from './histogram.js';

export interface ImageStatistics {
  /** Null when the pixel size is not known in nm (then every number below is null too). */
  density_per_nm2: number | null;
  count: number;
  area_nm2: number | null;
  mean_diameter_nm: number | null;
  std_diameter_nm: number | null;
  mean_circularity: number | null;
  std_circularity: number | null;
  /** Null without a thickness (or a pixel size): see `reason`. */
  swelling_percent: number | null;
  void_volume_nm3: number | null;
  thickness_nm: number | null;
  /** Where the thickness came from: "config", or the sidecar file's path. */
  thickness_source?: string;
  size_histogram: SizeHistogram | null;
  /** Why something is null. */
  reason?: string;
}

export interface Thickness { nm: number | null; source?: string; problem?: string }

export function imageStatistics(detections: readonly Detection[], frame: Frame, thickness: Thickness): ImageStatistics {
  const px = frame.pixelSize;
  const count = detections.length;
  if (!px || px.unit !== 'nm' || !(px.x > 0) || !(px.y > 0)) {
    return { density_per_nm2: null, count, area_nm2: null, mean_diameter_nm: null, std_diameter_nm: null, mean_circularity: null, std_circularity: null,
      swelling_percent: null, void_volume_nm3: null, thickness_nm: thickness.nm, size_histogram: null, reason: 'pixel size in nm unknown: set decode.pixel_size for this file pattern' };
  }
  const nmPerPx = Math.sqrt(px.x * px.y);
  const area = frame.width * px.x * frame.height * px.y;
  const d = detections.map((det) => diameterPx(det) * nmPerPx);
  const c = detections.map(circularityOf);
  const [md, sd] = meanStd(d);
  const [mc, sc] = meanStd(c);
  const volume = d.reduce((s, x) => s + (Math.PI / 6) * x ** 3, 0);
  const out: ImageStatistics = {
    density_per_nm2: sig(count / area), count, area_nm2: sig(area),
    mean_diameter_nm: count ? sig(md) : null, std_diameter_nm: count ? sig(sd) : null,
    mean_circularity: count ? sig(mc) : null, std_circularity: count ? sig(sc) : null,
    swelling_percent: null, void_volume_nm3: sig(volume), thickness_nm: thickness.nm,
    ...(thickness.source ? { thickness_source: thickness.source } : {}),
    size_histogram: sizeHistogram(d),
  };
  if (thickness.nm !== null) out.swelling_percent = sig(100 * volume / (area * thickness.nm - volume));
  else out.reason = thickness.problem ?? 'foil thickness unknown: set statistics.thickness_nm or thickness_nm in a temguard.json beside the images';
  if (count === 0) out.reason = 'no detections: sizes and circularity undefined';
  return out;
}

/** The script's size in pixels: 2·sqrt(r_min·r_max) over the hull vertices of the mask pixels. */
export function diameterPx(d: Detection): number {
  const hull = d.mask ? maskHull(d) : null;
  if (hull && hull.length >= 3) {
    let cx = 0, cy = 0;
    for (const [x, y] of hull) { cx += x; cy += y; }
    cx /= hull.length; cy /= hull.length;
    let lo = Infinity, hi = 0;
    for (const [x, y] of hull) { const r = Math.hypot(x - cx, y - cy); lo = Math.min(lo, r); hi = Math.max(hi, r); }
    return 2 * Math.sqrt(lo * hi);
  }
  // No mask, or one too thin for a hull (a line of pixels): the box's inscribed ellipse.
  return Math.sqrt(Math.max(0, d.box[2] - d.box[0]) * Math.max(0, d.box[3] - d.box[1]));
}

/** Convex hull (Andrew's monotone chain) of the mask's pixel positions, image coordinates. */
function maskHull(d: Detection): [number, number][] {
  const m = d.mask!;
  const pts: [number, number][] = [];
  // Only the first and last pixel of each row can be hull vertices.
  for (let y = 0; y < m.height; y++) {
    let lo = -1, hi = -1;
    for (let x = 0; x < m.width; x++) if (m.data[y * m.width + x]) { if (lo < 0) lo = x; hi = x; }
    if (lo < 0) continue;
    pts.push([m.x0 + lo, m.y0 + y]);
    if (hi !== lo) pts.push([m.x0 + hi, m.y0 + y]);
  }
  pts.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return pts;
  const cross = (o: [number, number], a: [number, number], b: [number, number]): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: [number, number][] = [], upper: [number, number][] = [];
  for (const p of pts) { while (lower.length >= 2 && cross(lower.at(-2)!, lower.at(-1)!, p) <= 0) lower.pop(); lower.push(p); }
  for (let i = pts.length - 1; i >= 0; i--) { const p = pts[i]!; while (upper.length >= 2 && cross(upper.at(-2)!, upper.at(-1)!, p) <= 0) upper.pop(); upper.push(p); }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}

/** Mean and population standard deviation (numpy's default, as the script uses). */
export function meanStd(xs: readonly number[]): [number, number] {
  if (!xs.length) return [0, 0];
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return [m, Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length)];
}

/** Five significant digits: densities are ~1e-3 per nm², volumes ~1e5 nm³. */
export function sig(x: number): number {
  return x === 0 || !Number.isFinite(x) ? x : Number(x.toPrecision(5));
}
