/**
 * Image statistics for comparing simulated with real micrographs (docs/sim/comparison.md):
 * the radially averaged power spectrum (RAPS) and the intensity histogram with its moments.
 *
 * RAPS: a centred n×n crop (n a power of two), mean removed, divided by its standard deviation
 * (so only the SHAPE of the spectrum is compared, not the contrast), times a 2-D Hann window;
 * |FFT|² averaged over annuli in log-spaced frequency bins between 1/n and 0.5 cycles/pixel.
 * A flat RAPS is white noise; the slope tells how power is shared between mottle (low
 * frequencies), objects (mid) and noise/MTF (high).
 */
import { fft2 } from './fft.js';

export interface Raps { freq: number[]; power: number[] }

/** Centred n×n crop of a w×h image (n ≤ min(w, h)). */
export function centreCrop(img: ArrayLike<number>, w: number, h: number, n: number): Float64Array {
  if (n > w || n > h) throw new Error(`crop ${n} larger than image ${w}×${h}`);
  const x0 = (w - n) >> 1, y0 = (h - n) >> 1;
  const out = new Float64Array(n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) out[y * n + x] = img[(y0 + y) * w + x0 + x]!;
  return out;
}

export function radialPowerSpectrum(crop: Float64Array, n: number, bins = 24): Raps {
  let mean = 0;
  for (const v of crop) mean += v;
  mean /= crop.length;
  let v2 = 0;
  for (const v of crop) v2 += (v - mean) ** 2;
  const sd = Math.sqrt(v2 / crop.length) || 1;
  const re = new Float64Array(n * n), im = new Float64Array(n * n);
  const hann = Float64Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n));
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) re[y * n + x] = ((crop[y * n + x]! - mean) / sd) * hann[x]! * hann[y]!;
  fft2(re, im, n);
  const lo = Math.log(1 / n), hi = Math.log(0.5);
  const sum = new Float64Array(bins), cnt = new Float64Array(bins), fsum = new Float64Array(bins);
  for (let ky = 0; ky < n; ky++) {
    const fy = (ky < n / 2 ? ky : ky - n) / n;
    for (let kx = 0; kx < n; kx++) {
      const fx = (kx < n / 2 ? kx : kx - n) / n;
      const f = Math.hypot(fx, fy);
      if (f < 1 / n || f > 0.5) continue;
      const b = Math.min(bins - 1, Math.floor(((Math.log(f) - lo) / (hi - lo)) * bins));
      const p = ky * n + kx;
      sum[b] += (re[p]! * re[p]! + im[p]! * im[p]!) / (n * n);
      cnt[b]++;
      fsum[b] += f;
    }
  }
  const freq: number[] = [], power: number[] = [];
  for (let b = 0; b < bins; b++) if (cnt[b]! > 0) { freq.push(fsum[b]! / cnt[b]!); power.push(sum[b]! / cnt[b]!); }
  return { freq, power };
}

export interface Moments { mean: number; sd: number; skew: number; kurtosis: number; p1: number; p99: number }

/** Normalised 256-bin histogram of 8-bit values and its moments. */
export function histogram8(img: ArrayLike<number>): { hist: number[]; moments: Moments } {
  const h = new Array<number>(256).fill(0);
  const n = img.length;
  let m = 0;
  for (let i = 0; i < n; i++) { const v = Math.max(0, Math.min(255, Math.round(img[i]!))); h[v]!++; m += v; }
  m /= n;
  let m2 = 0, m3 = 0, m4 = 0;
  for (let v = 0; v < 256; v++) { const d = v - m, c = h[v]!; m2 += c * d * d; m3 += c * d ** 3; m4 += c * d ** 4; }
  m2 /= n; m3 /= n; m4 /= n;
  const sd = Math.sqrt(m2);
  let acc = 0, p1 = 0, p99 = 255;
  for (let v = 0; v < 256; v++) { const before = acc; acc += h[v]!; if (before < 0.01 * n && acc >= 0.01 * n) p1 = v; if (before < 0.99 * n && acc >= 0.99 * n) p99 = v; }
  return { hist: h.map((c) => c / n), moments: { mean: m, sd, skew: sd ? m3 / sd ** 3 : 0, kurtosis: sd ? m4 / m2 ** 2 - 3 : 0, p1, p99 } };
}

/** Least-squares slope of log10(power) against log10(freq) between fLo and fHi (cycles/px). */
export function spectralSlope(r: Raps, fLo: number, fHi: number): number {
  const xs: number[] = [], ys: number[] = [];
  r.freq.forEach((f, i) => { if (f >= fLo && f <= fHi && r.power[i]! > 0) { xs.push(Math.log10(f)); ys.push(Math.log10(r.power[i]!)); } });
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n, my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0;
  for (let i = 0; i < n; i++) { sxy += (xs[i]! - mx) * (ys[i]! - my); sxx += (xs[i]! - mx) ** 2; }
  return sxy / sxx;
}
