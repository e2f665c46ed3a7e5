/**
 * Noise-matched smoothing for frames noisier than anything the model was trained on.
 * The bundled U-Net saw noise up to about 0.14 (Immerkaer's sigma after the percentile
 * normalisation); the noisiest real frames (the 666² void set) reach 0.21, and on them it
 * marks 3-5 px noise dots as cavities. A frame whose noise is above `above` is smoothed by the
 * Gaussian that brings white noise down to `target`, so the network sees its usual noise
 * level; cavities many pixels across keep their contrast. Frames at or below `above` are
 * untouched. Set per model by metadata temguard.denoise "ABOVE,TARGET" (off when absent).
 * Posterised frames (dequantise.ts) get the same blur, at their own sigma.
 */
import { immerkaerNoiseIn } from '../pipeline/image-stats.js';
import { grayLevels, type DequantiseSpec } from './dequantise.js';
import { ModelError } from './model-error.js';

export interface DenoiseSpec {
  /** Smooth only frames whose normalised noise sigma is above this. */
  above: number;
  /** ...down to this white-noise sigma. */
  target: number;
}

/** What was done to one frame: its normalised noise sigma and the Gaussian sigma used (0: none). */
export interface Smoothing {
  noise: number;
  sigma: number;
  /** Present when the frame was posterised (dequantise.ts): its distinct gray levels between the normalisation percentiles. */
  grayLevels?: number;
}

/** The noise is estimated on the central window of at most this side: a frame's noise is stationary, a 4k frame need not be read whole. */
const NOISE_WINDOW = 1024;

/** Parses temguard.denoise "ABOVE,TARGET" (0 < TARGET < ABOVE); undefined = off. */
export function parseDenoiseSpec(raw: string | undefined): DenoiseSpec | null {
  if (raw === undefined) return null;
  const m = /^\s*([0-9.]+)\s*,\s*([0-9.]+)\s*$/.exec(raw);
  const above = m ? Number(m[1]) : NaN;
  const target = m ? Number(m[2]) : NaN;
  if (!(target > 0 && above > target && above < 1)) {
    throw new ModelError(`unet: metadata temguard.denoise="${raw}" should be "ABOVE,TARGET" with 0 < TARGET < ABOVE < 1`);
  }
  return { above, target };
}

/** Immerkaer's noise sigma of the frame's central window, in the model's input units (raw sigma x gain). */
export function frameNoise(data: Float32Array, width: number, height: number, gain: number): number {
  const w = Math.min(width, NOISE_WINDOW), h = Math.min(height, NOISE_WINDOW);
  if (w < 3 || h < 3) return 0;
  const sigma = immerkaerNoiseIn(data, width, { x0: (width - w) >> 1, y0: (height - h) >> 1, w, h }) * gain;
  return Number.isFinite(sigma) ? sigma : 0;
}

/** The sampled, normalised Gaussian kernel of std `s` (radius ceil(3s)). */
export function gaussianKernel(s: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * s));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) { k[i + r] = Math.exp(-(i * i) / (2 * s * s)); sum += k[i + r]!; }
  for (let i = 0; i < k.length; i++) k[i]! /= sum;
  return k;
}

/** How much the 2-D separable kernel scales white noise's std: the sum of the 1-D taps squared. */
function noiseGain(s: number): number {
  let g = 0;
  for (const v of gaussianKernel(s)) g += v * v;
  return g;
}

/** The Gaussian std (px) whose sampled kernel scales white noise by `ratio` (< 1), by bisection (gain falls with s). */
export function blurSigmaFor(ratio: number): number {
  let lo = 0.3, hi = 8;
  if (noiseGain(hi) >= ratio) return hi;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (noiseGain(mid) > ratio) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Separable Gaussian blur with edge replication, `src` to `out` (same size; they must differ).
 * A NaN or infinite sample counts as `fill` (denoiseFrame passes the normalisation's offset, so it
 * is black, as the unsmoothed path makes it) instead of spreading NaN over its neighbours.
 * Columns first, row by row (sequential reads of whole rows), then each row in place through
 * one row buffer: no second frame-sized buffer.
 */
export function gaussianBlur(src: Float32Array, width: number, height: number, s: number, out: Float32Array, fill = 0): Float32Array {
  const k = gaussianKernel(s), r = (k.length - 1) >> 1;
  for (let y = 0; y < height; y++) {
    const o = y * width;
    out.fill(0, o, o + width);
    for (let j = -r; j <= r; j++) {
      const kj = k[j + r]!, from = Math.min(height - 1, Math.max(0, y + j)) * width;
      for (let x = 0; x < width; x++) {
        const v = src[from + x]!;
        out[o + x]! += kj * (v - v === 0 ? v : fill);
      }
    }
  }
  const row = new Float32Array(width);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    row.set(out.subarray(o, o + width));
    for (let x = 0; x < width; x++) {
      let acc = 0;
      for (let j = -r; j <= r; j++) acc += k[j + r]! * row[Math.min(width - 1, Math.max(0, x + j))]!;
      out[o + x] = acc;
    }
  }
  return out;
}

/**
 * The frame's pixels as the model should see them: smoothed into `out` when its noise is above
 * spec.above, or when it is posterised (dequantise.ts), by the larger of the two Gaussians; else
 * the frame's own array (no copy).
 */
export function denoiseFrame(frame: { data: Float32Array; width: number; height: number }, scale: { offset: number; gain: number }, spec: DenoiseSpec | null, out: () => Float32Array, dequantise: DequantiseSpec | null = null): { data: Float32Array; smoothing?: Smoothing } {
  const { data, width, height } = frame;
  if (!spec && !dequantise) return { data };
  const noise = frameNoise(data, width, height, scale.gain);
  const byNoise = spec && noise > spec.above ? blurSigmaFor(spec.target / noise) : 0;
  const levels = dequantise && scale.gain > 0 ? grayLevels(data, scale.offset, scale.offset + 1 / scale.gain, dequantise.levels) : Infinity;
  const posterised = dequantise !== null && levels <= dequantise.levels;
  const sigma = Math.max(byNoise, posterised ? dequantise.sigma : 0);
  const smoothing: Smoothing = { noise, sigma, ...(posterised ? { grayLevels: levels } : {}) };
  if (!(sigma > 0)) return { data, smoothing };
  return { data: gaussianBlur(data, width, height, sigma, out(), scale.offset), smoothing };
}
