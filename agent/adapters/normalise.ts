/**
 * Intensity normalisation shared by adapters. Frames arrive in their full range (8-bit
 * 0..255, 16-bit 0..65535, float anything), so the bundled U-Net scales each image by its own
 * percentiles: the same cavity contrast then looks the same whatever the camera's bit depth,
 * gain or offset. The training recipe (models/recipes/detector/common.py) mirrors this exactly.
 */

/** At most this many pixels are sorted to estimate percentiles (every s-th pixel, s fixed). */
export const PERCENTILE_SAMPLE = 262144;

/** Every `stride`-th pixel, from index 0: the same subsample numpy's a.ravel()[::stride] takes. */
export function sampleStride(n: number): number {
  return Math.max(1, Math.ceil(n / PERCENTILE_SAMPLE));
}

/**
 * Percentiles (0..100) of the finite values of `data`, from a strided subsample, by the
 * nearest-rank rule sorted[floor(q/100*(m-1) + 0.5)].
 */
export function percentiles(data: Float32Array, qs: readonly number[]): number[] {
  const stride = sampleStride(data.length);
  const sample = new Float32Array(Math.ceil(data.length / stride));
  let m = 0;
  for (let i = 0; i < data.length; i += stride) {
    const v = data[i]!;
    if (Number.isFinite(v)) sample[m++] = v;
  }
  if (m === 0) return qs.map(() => 0);
  const sorted = sample.subarray(0, m).sort();
  return qs.map((q) => sorted[Math.floor((q / 100) * (m - 1) + 0.5)]!);
}

/** Parses "percentile:LO,HI" (the unet metadata's temguard.normalisation). */
export function parsePercentileSpec(spec: string | undefined): [number, number] {
  const m = /^percentile:([0-9.]+),([0-9.]+)$/.exec(spec ?? 'percentile:1,99');
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2]) : NaN;
  if (!(lo >= 0 && hi <= 100 && lo < hi)) throw new RangeError(`bad normalisation "${spec}" (expected percentile:LO,HI with 0 <= LO < HI <= 100)`);
  return [lo, hi];
}

/**
 * Maps data to [0,1] by (v - pLo) / (pHi - pLo), clipped; non-finite values become 0.
 * A flat image (pHi == pLo) maps to 0 everywhere rather than dividing by zero.
 */
export function percentileScale(data: Float32Array, lo: number, hi: number): Float32Array {
  const [a, b] = percentiles(data, [lo, hi]);
  const range = b! - a!;
  const inv = range > 0 ? 1 / range : 0;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = (data[i]! - a!) * inv;
    out[i] = v > 0 ? (v < 1 ? v : 1) : 0; // NaN fails both tests -> 0
  }
  return out;
}
