/**
 * Posterised frames: some real frames reach us with only a handful of gray levels across their
 * whole contrast range (800H-H01-1 0007: 5 between its percentiles 1 and 99), from an export
 * through a coarse display table or a low-dose counting camera. Every level is a flat plateau
 * with a step at its edge, and the bundled U-Net, trained on continuous-tone images, calls the
 * small plateaus 10-40 px cavities (0007: most of its 98 detections). A Gaussian of 1 px (the
 * bundled model's value) turns the steps back into slopes; 1.5 px also took a 50 px ring cavity.
 * No simulated frame and no other real frame we hold has fewer than 45 levels there. The blur
 * itself is denoise.ts's. Set per model by metadata temguard.dequantise "LEVELS,SIGMA" (off
 * when absent).
 */
import { ModelError } from './model-error.js';
import { sampleStride } from './normalise.js';

export interface DequantiseSpec {
  /** A frame with at most this many distinct values between its normalisation percentiles is posterised... */
  levels: number;
  /** ...and is smoothed by a Gaussian of this std (px). */
  sigma: number;
}

/** Parses temguard.dequantise "LEVELS,SIGMA" (2 <= LEVELS <= 4096 integer, 0 < SIGMA <= 8 px); undefined = off. */
export function parseDequantiseSpec(raw: string | undefined): DequantiseSpec | null {
  if (raw === undefined) return null;
  const m = /^\s*([0-9]+)\s*,\s*([0-9.]+)\s*$/.exec(raw);
  const levels = m ? Number(m[1]) : NaN, sigma = m ? Number(m[2]) : NaN;
  if (!(levels >= 2 && levels <= 4096 && sigma > 0 && sigma <= 8)) {
    throw new ModelError(`unet: metadata temguard.dequantise="${raw}" should be "LEVELS,SIGMA": an integer count of gray levels from 2 to 4096, a Gaussian std in px above 0 and at most 8`);
  }
  return { levels, sigma };
}

/**
 * Distinct values from lo to hi (the frame's normalisation percentiles, raw units) in the same
 * strided sample the percentiles come from, counted up to `cap` + 1. Values that are not
 * integers in 0..65535 are passed over while they are few (despike.ts writes ring medians,
 * which can end in .5); when more than 1 % of the sample is such, the frame is of continuous
 * tone (a float frame): Infinity.
 */
export function grayLevels(data: Float32Array, lo: number, hi: number, cap: number): number {
  const stride = sampleStride(data.length);
  const seen = new Uint8Array(65536);
  const eps = 1e-6 * (hi - lo); // hi comes back from a gain (1 / range): keep the top level in
  let n = 0, sampled = 0, other = 0;
  for (let i = 0; i < data.length; i += stride) {
    const v = data[i]!;
    sampled++;
    const k = v | 0;
    if (k !== v || k < 0 || k > 65535) { other++; continue; }
    if (v < lo - eps || v > hi + eps || seen[k]) continue;
    seen[k] = 1;
    if (++n > cap) return n;
  }
  return other > 0.01 * sampled ? Infinity : n;
}
