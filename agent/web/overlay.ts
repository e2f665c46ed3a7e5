/**
 * Annotated image of one result, for people: the frame scaled to at most `maxSide` pixels
 * on its long side, mapped to 8 bits with percentile contrast (a 16-bit or float frame and
 * an 8-bit one look alike), with each detection drawn as a box (or, when it carries a mask,
 * the mask's outline) coloured by its confidence. Pure apart from sharp doing the pixel
 * work: frame + detections in, encoded image out. Used by the live view and usable for
 * thumbnails on an MQTT topic.
 */
import sharp, { type OverlayOptions as SharpLayer } from 'sharp';
import type { Frame, Mask } from '../types.js';

/** What the overlay needs of a detection: the result message's items and Detection both fit. */
export interface OverlayItem {
  /** [x1, y1, x2, y2] in pixels of the original frame, x2/y2 exclusive. */
  box: readonly number[];
  score: number;
  mask?: Mask;
}

export interface OverlayOptions {
  /** Longest side of the output in pixels (the frame is only ever scaled down). Default 1024. */
  maxSide?: number;
  /** png (default; palette-quantised, so a 1024 px overlay stays well under 1 MB) or jpeg. */
  format?: 'png' | 'jpeg';
  /** Percentiles of the frame mapped to black and white. Default [0.1, 99.9]: enough to ignore
   *  hot pixels and dark borders, gentle enough not to exaggerate the noise of an 8-bit image. */
  contrast?: [number, number];
  /** JPEG quality, 1..100. Default 82. */
  quality?: number;
}

/** Confidence bands and their colours, shared with the page's legend. */
export const SCORE_BANDS: readonly { min: number; colour: string; label: string }[] = [
  { min: 0.9, colour: '#22c55e', label: '≥ 0.9' },
  { min: 0.7, colour: '#facc15', label: '0.7–0.9' },
  { min: 0.5, colour: '#fb923c', label: '0.5–0.7' },
  { min: -Infinity, colour: '#ef4444', label: '< 0.5' },
];

/** The colour of a detection with this score (red below 0.5 ... green at 0.9 and above). */
export function scoreColour(score: number): string {
  return SCORE_BANDS.find((b) => score >= b.min)!.colour;
}

export async function renderOverlay(frame: Frame, items: readonly OverlayItem[], opts: OverlayOptions = {}): Promise<Buffer> {
  const maxSide = opts.maxSide ?? 1024;
  if (!(maxSide >= 16)) throw new RangeError(`overlay maxSide must be at least 16, got ${maxSide}`);
  if (frame.width < 1 || frame.height < 1 || frame.data.length !== frame.width * frame.height) {
    throw new RangeError(`frame ${frame.width}x${frame.height} does not match its ${frame.data.length} pixels`);
  }
  const scale = Math.min(1, maxSide / Math.max(frame.width, frame.height));
  const width = Math.max(1, Math.round(frame.width * scale));
  const height = Math.max(1, Math.round(frame.height * scale));
  const gray = toDisplay8(frame, opts.contrast ?? [0.1, 99.9]);
  const base = await sharp(gray, { raw: { width: frame.width, height: frame.height, channels: 1 } })
    .resize(width, height, { fit: 'fill', kernel: scale < 1 ? 'lanczos3' : 'nearest' })
    .toColourspace('srgb')
    .raw()
    .toBuffer();
  const sx = width / frame.width;
  const sy = height / frame.height;
  const layers: SharpLayer[] = [];
  const boxed = items.filter((it) => !it.mask);
  if (boxed.length) layers.push({ input: Buffer.from(boxesSvg(boxed, width, height, sx, sy)), top: 0, left: 0 });
  const masked = items.filter((it) => it.mask);
  if (masked.length) layers.push({ input: outlineLayer(masked, width, height, sx, sy), raw: { width, height, channels: 4 }, top: 0, left: 0 });
  const img = sharp(base, { raw: { width, height, channels: 3 } }).composite(layers);
  return opts.format === 'jpeg'
    ? img.jpeg({ quality: opts.quality ?? 82, mozjpeg: true }).toBuffer()
    : img.png({ palette: true, colours: 256, dither: 0, compressionLevel: 9, effort: 4 }).toBuffer();
}

/**
 * Full-range frame -> 8-bit display values: the given percentiles of the pixel histogram
 * become 0 and 255, so one hot pixel or a dark border does not wash the image out.
 */
export function toDisplay8(frame: Frame, [loPct, hiPct]: [number, number]): Uint8Array {
  const { data } = frame;
  const out = new Uint8Array(data.length);
  let lo = frame.min;
  let hi = frame.max;
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return out.fill(128);
  const BINS = 4096;
  const hist = new Uint32Array(BINS);
  const k = (BINS - 1) / (hi - lo);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v >= lo && v <= hi) hist[Math.floor((v - lo) * k)]!++;
  }
  const pLo = percentileBin(hist, (loPct / 100) * data.length);
  const pHi = percentileBin(hist, (hiPct / 100) * data.length);
  const newLo = lo + pLo / k;
  const newHi = lo + (pHi + 1) / k;
  lo = newLo;
  hi = newHi > newLo ? newHi : newLo + 1e-6;
  const m = 255 / (hi - lo);
  for (let i = 0; i < data.length; i++) {
    const v = (data[i]! - lo) * m;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v); // NaN -> 0
  }
  return out;
}

function percentileBin(hist: Uint32Array, rank: number): number {
  let acc = 0;
  for (let b = 0; b < hist.length; b++) {
    acc += hist[b]!;
    if (acc > rank) return b;
  }
  return hist.length - 1;
}

/** Box outlines as SVG, drawn inside the box edge so the edge pixels carry the colour. */
function boxesSvg(items: readonly OverlayItem[], width: number, height: number, sx: number, sy: number): string {
  const sw = strokeWidth(width, height);
  // Low scores first so confident boxes end up on top where they overlap.
  const rects = [...items].sort((a, b) => a.score - b.score).map((it) => {
    const [x1, y1, x2, y2] = clampBox(it.box, width / sx, height / sy);
    const x = x1 * sx + sw / 2;
    const y = y1 * sy + sw / 2;
    const w = Math.max(0, (x2 - x1) * sx - sw);
    const h = Math.max(0, (y2 - y1) * sy - sw);
    return `<rect x="${x.toFixed(2)}" y="${y.toFixed(2)}" width="${w.toFixed(2)}" height="${h.toFixed(2)}" stroke="${scoreColour(it.score)}"/>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><g fill="none" stroke-width="${sw}" shape-rendering="crispEdges">${rects.join('')}</g></svg>`;
}

/** Lines readable at a glance: 2 px on a 512 px overlay, 3 px on a 1024 px one. */
function strokeWidth(width: number, height: number): number {
  return Math.max(2, Math.round(Math.max(width, height) / 350));
}

function clampBox(box: readonly number[], w: number, h: number): [number, number, number, number] {
  const c = (v: number | undefined, hi: number) => Math.min(hi, Math.max(0, Number.isFinite(v) ? v! : 0));
  return [c(box[0], w), c(box[1], h), c(box[2], w), c(box[3], h)];
}

/** Mask outlines rasterised at output size: output pixels inside the mask within a stroke width of its edge. */
function outlineLayer(items: readonly OverlayItem[], width: number, height: number, sx: number, sy: number): Buffer {
  const rgba = Buffer.alloc(width * height * 4);
  const t = strokeWidth(width, height);
  for (const it of [...items].sort((a, b) => a.score - b.score)) {
    const m = it.mask!;
    const rgb = hexRgb(scoreColour(it.score));
    const inside = (ox: number, oy: number): boolean => {
      const mx = Math.floor((ox + 0.5) / sx) - m.x0;
      const my = Math.floor((oy + 0.5) / sy) - m.y0;
      return mx >= 0 && my >= 0 && mx < m.width && my < m.height && m.data[my * m.width + mx] === 1;
    };
    const x0 = Math.max(0, Math.floor(m.x0 * sx) - 1);
    const y0 = Math.max(0, Math.floor(m.y0 * sy) - 1);
    const x1 = Math.min(width, Math.ceil((m.x0 + m.width) * sx) + 1);
    const y1 = Math.min(height, Math.ceil((m.y0 + m.height) * sy) + 1);
    const edge = (ox: number, oy: number): boolean => {
      for (let d = 1; d <= t; d++) if (!inside(ox - d, oy) || !inside(ox + d, oy) || !inside(ox, oy - d) || !inside(ox, oy + d)) return true;
      return false;
    };
    for (let oy = y0; oy < y1; oy++) {
      for (let ox = x0; ox < x1; ox++) {
        if (!inside(ox, oy) || !edge(ox, oy)) continue;
        const o = (oy * width + ox) * 4;
        rgba[o] = rgb[0]; rgba[o + 1] = rgb[1]; rgba[o + 2] = rgb[2]; rgba[o + 3] = 255;
      }
    }
  }
  return rgba;
}

function hexRgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

export interface ThumbnailOptions {
  /** Longest side in pixels. Default 256. */
  maxSide?: number;
  /** Upper bound on the encoded size (an MQTT message should stay small). Default 48 kB. */
  maxBytes?: number;
}

/**
 * A JPEG overlay guaranteed to fit in `maxBytes`, for publishing on an MQTT topic: lowers the
 * JPEG quality first, then the size, until it fits. Throws only if even 32 px does not fit.
 */
export async function renderThumbnail(frame: Frame, items: readonly OverlayItem[], opts: ThumbnailOptions = {}): Promise<Buffer> {
  const maxBytes = opts.maxBytes ?? 48_000;
  let side = opts.maxSide ?? 256;
  for (;;) {
    for (const quality of [75, 55, 35]) {
      const jpg = await renderOverlay(frame, items, { maxSide: side, format: 'jpeg', quality });
      if (jpg.length <= maxBytes) return jpg;
    }
    if (side <= 32) throw new RangeError(`no thumbnail fits in ${maxBytes} bytes`);
    side = Math.max(32, Math.floor(side * 0.7));
  }
}
