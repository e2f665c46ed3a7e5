/**
 * Label-free statistics of the decoded pixels, for the image half of the applicability domain
 * (image-domain.ts). They describe what a micrograph looks like, not what the detector found:
 * a camera frame of a thin foil has noise at the pixel scale everywhere, few flat or edge-only
 * regions and a flat high-frequency spectrum; a photograph has smooth areas, sharp oriented
 * edges and a steep spectrum. All are dimensionless (8-bit, 16-bit and float frames compare),
 * on the centre crop of at most CROP x CROP pixels (the cost stays bounded for 4k frames).
 * - im_log_snr: log(image std / noise std), noise by Immerkaer's Laplacian-difference estimator.
 * - im_texture_spread: 90th minus 10th percentile of log(std) over 8x8 blocks (flat sky next to
 *   busy edges spreads wide; shot noise everywhere keeps it narrow).
 * - im_slope, im_slope_hi: log-log slope of the radially averaged power spectrum (Welch, Hann
 *   tiles of 128 px) over 0.02..0.45 and over its upper half (0.12..0.45 cycles per pixel).
 * - im_coherence: mean structure-tensor coherence (Sobel gradients, 7x7 window): how often the
 *   local gradients share one orientation (edges, lines), 0 for isotropic noise.
 * - im_log_mode_share: log of the share of pixels holding the single most common value
 *   (saturated or synthetic flat areas).
 */
import type { Frame } from '../types.js';
import { fft2T } from '../sim/fft.js';

export const IMAGE_STAT_NAMES = ['im_log_snr', 'im_texture_spread', 'im_slope', 'im_slope_hi', 'im_coherence', 'im_log_mode_share'] as const;
export type ImageStatName = (typeof IMAGE_STAT_NAMES)[number];
export type ImageStats = Record<ImageStatName, number>;

const CROP = 1024;
const TILE = 128;
const BLOCK = 8;

/** null for frames smaller than one spectrum tile: too few pixels to say what they look like. */
export function imageStatistics(frame: Frame): ImageStats | null {
  const { w, h, px } = centreCrop(frame);
  if (w < TILE || h < TILE) return null;
  const { sd } = moments(px);
  if (!(sd > 0)) return { im_log_snr: 0, im_texture_spread: 0, im_slope: 0, im_slope_hi: 0, im_coherence: 0, im_log_mode_share: 0 };
  const noise = immerkaerNoise(px, w, h);
  const { slope, slopeHi } = spectrumSlopes(px, w, h);
  return {
    im_log_snr: Math.log(noise > 0 ? Math.min(1e3, sd / noise) : 1e3),
    im_texture_spread: textureSpread(px, w, h, sd),
    im_slope: slope,
    im_slope_hi: slopeHi,
    im_coherence: coherence(px, w, h),
    im_log_mode_share: Math.log(modeShare(px)),
  };
}

function centreCrop(frame: Frame): { w: number; h: number; px: Float32Array } {
  const w = Math.min(CROP, frame.width), h = Math.min(CROP, frame.height);
  const x0 = (frame.width - w) >> 1, y0 = (frame.height - h) >> 1;
  const px = new Float32Array(w * h);
  for (let y = 0; y < h; y++) px.set(frame.data.subarray((y0 + y) * frame.width + x0, (y0 + y) * frame.width + x0 + w), y * w);
  return { w, h, px };
}

function moments(px: Float32Array): { mean: number; sd: number } {
  let mean = 0;
  for (let i = 0; i < px.length; i++) mean += px[i]!;
  mean /= px.length;
  let m2 = 0;
  for (let i = 0; i < px.length; i++) { const d = px[i]! - mean; m2 += d * d; }
  return { mean, sd: Math.sqrt(m2 / px.length) };
}

/** Noise std by Immerkaer (CVIU 64, 1996): mask [1 -2 1; -2 4 -2; 1 -2 1], robust to image structure. Also q_snr's (learn/quality.ts). */
export function immerkaerNoise(px: Float32Array, w: number, h: number): number {
  return immerkaerNoiseIn(px, w, { x0: 0, y0: 0, w, h });
}

/** Immerkaer's std over the window `win` of a frame `width` wide, read in place (no copy of the window). */
export function immerkaerNoiseIn(px: Float32Array, width: number, win: { x0: number; y0: number; w: number; h: number }): number {
  let s = 0, n = 0;
  const w = width;
  for (let y = win.y0 + 1; y < win.y0 + win.h - 1; y++) {
    for (let x = win.x0 + 1; x < win.x0 + win.w - 1; x++) {
      const i = y * w + x;
      const v = Math.abs(4 * px[i]! - 2 * (px[i - w]! + px[i + w]! + px[i - 1]! + px[i + 1]!) + px[i - w - 1]! + px[i - w + 1]! + px[i + w - 1]! + px[i + w + 1]!);
      if (v - v === 0) { s += v; n++; } // a NaN or infinite pixel (float frames) spoils only its 3x3 terms
    }
  }
  return n ? Math.sqrt(Math.PI / 2) * s / (6 * n) : 0;
}

function textureSpread(px: Float32Array, w: number, h: number, sd: number): number {
  const bw = Math.floor(w / BLOCK), bh = Math.floor(h / BLOCK);
  const logs = new Float64Array(bw * bh);
  for (let by = 0; by < bh; by++) {
    for (let bx = 0; bx < bw; bx++) {
      let s = 0, s2 = 0;
      for (let y = by * BLOCK; y < (by + 1) * BLOCK; y++) for (let x = bx * BLOCK; x < (bx + 1) * BLOCK; x++) { const v = px[y * w + x]!; s += v; s2 += v * v; }
      const n = BLOCK * BLOCK, m = s / n;
      logs[by * bw + bx] = Math.log(Math.sqrt(Math.max(0, s2 / n - m * m)) + 1e-3 * sd);
    }
  }
  logs.sort();
  return quantile(logs, 0.9) - quantile(logs, 0.1);
}

/** Welch periodogram on non-overlapping Hann tiles, radially binned on log-spaced bins. */
function spectrumSlopes(px: Float32Array, w: number, h: number): { slope: number; slopeHi: number } {
  const nb = 11, lo = Math.log(0.02), hi = Math.log(0.45);
  const power = new Float64Array(nb), count = new Float64Array(nb);
  const hann = Float64Array.from({ length: TILE }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (TILE - 1)));
  const re = new Float64Array(TILE * TILE), im = new Float64Array(TILE * TILE);
  const bin = spectrumBins(nb, lo, hi);
  for (let ty = 0; ty + TILE <= h; ty += TILE) {
    for (let tx = 0; tx + TILE <= w; tx += TILE) {
      let m = 0;
      for (let y = 0; y < TILE; y++) for (let x = 0; x < TILE; x++) m += px[(ty + y) * w + tx + x]!;
      m /= TILE * TILE;
      for (let y = 0; y < TILE; y++) for (let x = 0; x < TILE; x++) re[y * TILE + x] = (px[(ty + y) * w + tx + x]! - m) * hann[y]! * hann[x]!;
      im.fill(0);
      fft2T(re, im, TILE); // transposed spectrum: the radial average does not care
      for (let i = 0; i < TILE * TILE; i++) {
        const k = bin[i]!;
        if (k < 0) continue;
        power[k] += re[i]! * re[i]! + im[i]! * im[i]!; count[k]++;
      }
    }
  }
  const pts = Array.from({ length: nb }, (_, k) => ({ x: lo + ((k + 0.5) / nb) * (hi - lo), y: count[k]! > 0 && power[k]! > 0 ? Math.log(power[k]! / count[k]!) : NaN }));
  return { slope: fitSlope(pts), slopeHi: fitSlope(pts.slice(6)) };
}

/** Each spectrum cell's log-radius bin (-1: outside 0.02..0.45 cycles per pixel), the same for every tile. */
function spectrumBins(nb: number, lo: number, hi: number): Int8Array {
  const bin = new Int8Array(TILE * TILE);
  for (let a = 0; a < TILE; a++) {
    const fa = (a <= TILE / 2 ? a : a - TILE) / TILE;
    for (let b = 0; b < TILE; b++) {
      const fb = (b <= TILE / 2 ? b : b - TILE) / TILE;
      const k = Math.floor(((Math.log(Math.hypot(fa, fb)) - lo) / (hi - lo)) * nb);
      bin[a * TILE + b] = k >= 0 && k < nb ? k : -1;
    }
  }
  return bin;
}

function fitSlope(pts: ReadonlyArray<{ x: number; y: number }>): number {
  const ok = pts.filter((p) => Number.isFinite(p.y));
  if (ok.length < 2) return 0;
  const mx = ok.reduce((s, p) => s + p.x, 0) / ok.length, my = ok.reduce((s, p) => s + p.y, 0) / ok.length;
  let sxy = 0, sxx = 0;
  for (const p of ok) { sxy += (p.x - mx) * (p.y - my); sxx += (p.x - mx) ** 2; }
  return sxx > 0 ? sxy / sxx : 0;
}

/** Mean coherence sqrt((Jxx-Jyy)^2 + 4Jxy^2) / (Jxx+Jyy) of the 7x7 structure tensor. */
function coherence(px: Float32Array, w: number, h: number): number {
  const gxx = new Float64Array(w * h), gyy = new Float64Array(w * h), gxy = new Float64Array(w * h);
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const gx = px[i - w + 1]! + 2 * px[i + 1]! + px[i + w + 1]! - px[i - w - 1]! - 2 * px[i - 1]! - px[i + w - 1]!;
      const gy = px[i + w - 1]! + 2 * px[i + w]! + px[i + w + 1]! - px[i - w - 1]! - 2 * px[i - w]! - px[i - w + 1]!;
      gxx[i] = gx * gx; gyy[i] = gy * gy; gxy[i] = gx * gy;
    }
  }
  const [a, b, c] = [boxSum(gxx, w, h, 3), boxSum(gyy, w, h, 3), boxSum(gxy, w, h, 3)];
  let s = 0, n = 0;
  for (let y = 4; y < h - 4; y++) {
    for (let x = 4; x < w - 4; x++) {
      const i = y * w + x, t = a[i]! + b[i]!;
      s += t > 0 ? Math.sqrt((a[i]! - b[i]!) ** 2 + 4 * c[i]! ** 2) / t : 0; n++;
    }
  }
  return n ? s / n : 0;
}

/** (2r+1)^2 window sums, separable running sums; the border rows and columns stay partial. */
function boxSum(v: Float64Array, w: number, h: number, r: number): Float64Array {
  const tmp = new Float64Array(w * h), out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    let s = 0;
    for (let x = 0; x < Math.min(w, r); x++) s += v[y * w + x]!;
    for (let x = 0; x < w; x++) {
      if (x + r < w) s += v[y * w + x + r]!;
      if (x - r - 1 >= 0) s -= v[y * w + x - r - 1]!;
      tmp[y * w + x] = s;
    }
  }
  // Columns: the same running sum per column as the rows', updated a whole row at a time
  // (sequential reads; a column walk strides the 8 MB arrays and missed the cache on every step).
  const s = new Float64Array(w);
  for (let y = 0; y < Math.min(h, r); y++) for (let x = 0; x < w; x++) s[x]! += tmp[y * w + x]!;
  for (let y = 0; y < h; y++) {
    if (y + r < h) for (let x = 0, o = (y + r) * w; x < w; x++) s[x]! += tmp[o + x]!;
    if (y - r - 1 >= 0) for (let x = 0, o = (y - r - 1) * w; x < w; x++) s[x]! -= tmp[o + x]!;
    out.set(s, y * w);
  }
  return out;
}

/** Share of the most common value: counted in a histogram when every value is an integer in 0..65535 (camera frames), else by sorting. */
function modeShare(px: Float32Array): number {
  const hist = new Uint32Array(65536);
  let best = 0, integers = true;
  for (let i = 0; i < px.length; i++) {
    const v = px[i]!, k = v | 0;
    if (k !== v || k < 0 || k > 65535) { integers = false; break; }
    if (++hist[k]! > best) best = hist[k]!;
  }
  return integers ? best / px.length : sortedModeShare(px);
}

function sortedModeShare(px: Float32Array): number {
  const s = Float32Array.from(px).sort();
  let best = 1, run = 1;
  for (let i = 1; i < s.length; i++) { run = s[i] === s[i - 1] ? run + 1 : 1; if (run > best) best = run; }
  return best / s.length;
}

function quantile(sorted: Float64Array, q: number): number {
  const p = q * (sorted.length - 1), i = Math.floor(p);
  return i + 1 < sorted.length ? sorted[i]! + (p - i) * (sorted[i + 1]! - sorted[i]!) : sorted[i]!;
}
