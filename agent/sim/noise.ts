/**
 * The camera: shot noise for a dose, then the detector's blur (MTF).
 *
 * Shot noise: the electrons per pixel are Poisson with mean N·I(r), where
 *   N = dose (e⁻/Å²) · (10·pixel_nm)² (Å² per pixel)
 * and I(r) the noise-free relative intensity (1 = vacuum). Relative variance is 1/(N·I).
 * MTF: a scintillator-coupled camera spreads each electron; modelled as a Gaussian point
 * spread of σ_d pixels, MTF(k) = exp(−2π²σ_d²k²), applied after the noise (so the noise
 * is correlated over ~σ_d pixels as in real frames). Implemented as a separable convolution
 * (reflecting edges), cheaper than another FFT pair.
 */
import type { Rng } from './rng.js';

/** Electrons per pixel at relative intensity 1. */
export function countsPerPixel(doseEPerA2: number, pixelNm: number): number {
  return doseEPerA2 * (10 * pixelNm) ** 2;
}

/**
 * Replaces each intensity by Poisson(N·I)/N (so the mean stays in relative units). For
 * means ≥ 30 the Poisson law is its normal approximation, drawn with the table normal.
 */
export function addShotNoise(rng: Rng, img: Float32Array, perPixel: number): void {
  const inv = 1 / perPixel;
  for (let i = 0; i < img.length; i++) {
    const m = perPixel * img[i]!;
    if (m < 30) { img[i] = rng.poisson(m) * inv; continue; }
    const v = Math.round(m + Math.sqrt(m) * rng.fastNormal());
    img[i] = (v < 0 ? 0 : v) * inv;
  }
}

/** Normalised 1-D Gaussian kernel of standard deviation sigma (radius 3σ). */
export function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) { const v = Math.exp(-(i * i) / (2 * sigma * sigma)); k[i + r] = v; s += v; }
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / s;
  return k;
}

/**
 * Separable Gaussian blur of a w×h image in place (reflecting edges). No-op for σ ≤ 0.
 * Both passes run along contiguous rows (the vertical one accumulates whole rows), which
 * V8 turns into tight loops.
 */
export function gaussianBlur(img: Float32Array, w: number, h: number, sigma: number): void {
  if (!(sigma > 0)) return;
  const k = gaussianKernel(sigma);
  if (k.length <= 7 && w >= 4 && h >= 4) { blur7(img, w, h, k); return; }
  const r = (k.length - 1) / 2;
  const padded = new Float32Array(w + 2 * r);
  const tmp = new Float32Array(img.length);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) padded[x + r] = img[row + x]!;
    for (let j = 0; j < r; j++) { padded[r - 1 - j] = img[row + Math.min(w - 1, j)]!; padded[w + r + j] = img[row + Math.max(0, w - 1 - j)]!; }
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let j = 0; j < k.length; j++) acc += k[j]! * padded[x + j]!;
      tmp[row + x] = acc;
    }
  }
  const refl = (i: number): number => (i < 0 ? -i - 1 : i >= h ? 2 * h - i - 1 : i);
  const acc = new Float64Array(w);
  for (let y = 0; y < h; y++) {
    const k0 = k[0]!;
    const src0 = refl(y - r) * w;
    for (let x = 0; x < w; x++) acc[x] = k0 * tmp[src0 + x]!;
    for (let j = 1; j < k.length; j++) {
      const src = refl(y - r + j) * w, kj = k[j]!;
      for (let x = 0; x < w; x++) acc[x] += kj * tmp[src + x]!;
    }
    img.set(acc, y * w);
  }
}

/**
 * The common case (σ ≤ 1 px, at most 7 taps) with the kernel zero-padded to 7 taps and the
 * loops unrolled: ~3× faster than the general loop in V8. Same reflecting edges.
 */
function blur7(img: Float32Array, w: number, h: number, kernel: Float32Array): void {
  const k = new Float64Array(7);
  const off = (7 - kernel.length) / 2;
  for (let i = 0; i < kernel.length; i++) k[i + off] = kernel[i]!;
  const [k0, k1, k2, k3, k4, k5, k6] = k as unknown as [number, number, number, number, number, number, number];
  const refl = (i: number, n: number): number => (i < 0 ? -i - 1 : i >= n ? 2 * n - i - 1 : i);
  const tmp = new Float32Array(img.length);
  const p = new Float64Array(w + 6);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) p[x + 3] = img[row + x]!;
    for (let j = 1; j <= 3; j++) { p[3 - j] = img[row + refl(-j, w)]!; p[w + 2 + j] = img[row + refl(w - 1 + j, w)]!; }
    for (let x = 0; x < w; x++) {
      tmp[row + x] = k0 * p[x]! + k1 * p[x + 1]! + k2 * p[x + 2]! + k3 * p[x + 3]! + k4 * p[x + 4]! + k5 * p[x + 5]! + k6 * p[x + 6]!;
    }
  }
  for (let y = 0; y < h; y++) {
    const a0 = refl(y - 3, h) * w, a1 = refl(y - 2, h) * w, a2 = refl(y - 1, h) * w, a3 = y * w;
    const a4 = refl(y + 1, h) * w, a5 = refl(y + 2, h) * w, a6 = refl(y + 3, h) * w;
    for (let x = 0; x < w; x++) {
      img[a3 + x] = k0 * tmp[a0 + x]! + k1 * tmp[a1 + x]! + k2 * tmp[a2 + x]! + k3 * tmp[a3 + x]! + k4 * tmp[a4 + x]! + k5 * tmp[a5 + x]! + k6 * tmp[a6 + x]!;
    }
  }
}

/** Σ k_i² of the 2-D kernel: the factor by which the blur scales white-noise variance. */
export function blurVarianceFactor(sigma: number): number {
  if (!(sigma > 0)) return 1;
  const k = gaussianKernel(sigma);
  let s = 0;
  for (const v of k) s += v * v;
  return s * s;
}
