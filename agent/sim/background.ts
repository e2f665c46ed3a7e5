/**
 * The slowly varying part of a foil's image: thickness, strain mottle, bend contours.
 *
 * Physics: in bright field, electrons scattered outside the objective aperture are lost, so
 * the transmitted intensity falls as T = exp(−μ) with
 *   μ(r) = t(r)/λ_abs + m·½(M + sqrt(M² + ½)) + b·Σ exp(−((B(r) − c)/w)²)
 *   t(r)  foil thickness (nm): mean t0, a linear wedge g across the field, ±2 % undulation
 *   λ_abs effective absorption length (aperture-limited scattering), ~100–300 nm in steels
 *   M(r)  unit-RMS fractal noise with features 3–60 nm: dislocation-tangle / strain mottle,
 *         passed through a smooth ramp (≈ 0 for M ≪ 0, ≈ M for M ≫ 0) because strain only
 *         removes electrons: dark blotches on a textured foil, negative skew
 *   B(r)  a very smooth field whose level sets are bend contours (dark bands of width w)
 * These features are mostly wider than the Fresnel fringe sqrt(λ|z|) ≈ 1–2.5 nm, so
 * they commute with propagation: T multiplies the propagated intensity instead of entering
 * the exit wave. That keeps their wedge-shaped, non-periodic parts out of the FFT (no
 * wrap-around seams) and lets them be computed on a coarse grid.
 */
import type { Rng } from './rng.js';
import { fractalNoise, randomLattice, sampleLattice, upsample } from './fields.js';

export interface BackgroundParams {
  thicknessNm: number;
  /** Relative thickness change across the field (0.3 = +−15 %) and its direction (rad). */
  wedge: number;
  wedgeAngle: number;
  absorptionNm: number;
  /** Mottle strength m (in μ units) and its feature scales (nm). */
  mottle: number;
  mottleLargestNm: number;
  mottleSmallestNm: number;
  /** Bend contours: how many level sets, their darkness b and width (in field units). */
  bendContours: number;
  bendStrength: number;
}

/** Coarse-grid factor: smooth fields are computed on (n/COARSE)² points. */
const COARSE = 4;

/**
 * Transmission T(r) = exp(−μ(r)) on the n×n grid (see the file comment). `fieldPx` is the
 * width in pixels of the cropped image, so the wedge spans what is actually shown.
 */
export function backgroundTransmission(rng: Rng, n: number, fieldPx: number, pixelNm: number, p: BackgroundParams): Float32Array {
  const m = Math.max(8, n / COARSE);
  const mu = new Float32Array(m * m);
  const undulation = fractalNoise(rng, m, n, n / 2, n / 4);
  const mottle = fractalNoise(rng, m, n, p.mottleLargestNm / pixelNm, Math.max(2, p.mottleSmallestNm / pixelNm));
  const bend = randomLattice(rng, 3);
  const levels = Array.from({ length: p.bendContours }, () => rng.uniform(-0.8, 0.8));
  const cw = Math.cos(p.wedgeAngle), sw = Math.sin(p.wedgeAngle);
  const scale = n / m;
  for (let y = 0; y < m; y++) {
    for (let x = 0; x < m; x++) {
      const i = y * m + x;
      const px = (x + 0.5) * scale, py = (y + 0.5) * scale;
      const along = ((px - fieldPx / 2) * cw + (py - fieldPx / 2) * sw) / fieldPx;
      const t = p.thicknessNm * (1 + p.wedge * along + 0.02 * undulation[i]!);
      // One-sided: strain fields only ever scatter electrons out (dark blotches on a bright foil).
      const mo = mottle[i]!;
      let v = t / p.absorptionNm + p.mottle * 0.5 * (mo + Math.sqrt(mo * mo + 0.5));
      if (levels.length) {
        const b = sampleLattice(bend, (x / m) * 3, (y / m) * 3);
        for (const c of levels) v += p.bendStrength * Math.exp(-(((b - c) / 0.08) ** 2));
      }
      mu[i] = Math.exp(-v);
    }
  }
  // exp() on the coarse grid, then interpolate: T is as smooth as μ at these scales.
  return upsample(mu, m, n);
}
