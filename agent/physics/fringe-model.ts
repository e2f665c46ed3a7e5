/**
 * The simulator's fringe-vs-defocus relation, per cavity size: the radial intensity profile
 * of one spherical void imaged at defocus z, computed with the simulator's own optics
 * (agent/sim/optics.ts: exit wave exp(iφ), φ = −σ·V0·chord, propagated by the transfer
 * function). Using the simulator rather than a fringe-width formula keeps one sign
 * convention (z < 0 under-focus: bright centre, dark rim) and the real shape of the fringe
 * for voids from a few pixels to tens of nm, whose phase is far from weak.
 * Profiles are cached per (pixel size, radius, defocus, bins): at one magnification a
 * session keeps hitting the same few.
 */
import { interactionConstant, propagate, wavelengthNm, type OpticsParams } from '../sim/optics.js';
import { radialProfile, type ProfileBins } from './profile.js';

export interface FringeModelOptions {
  kV: number;
  /** Mean inner potential of the matrix (V): what the void removes (fresnel-physics.md: 18–30 V for metals). */
  v0: number;
  csNm: number;
  /** Illumination semi-angle (rad): damps the fine fringes as on a real microscope. */
  alphaRad: number;
  focalSpreadNm: number;
}

/** A 200 kV field-emission TEM imaging voids in steel: the conditions the paper's images were taken in. */
export const DEFAULT_FRINGE_MODEL: FringeModelOptions = { kV: 200, v0: 24, csNm: 1.2e6, alphaRad: 0.1e-3, focalSpreadNm: 5 };

/** Fresnel fringe scale sqrt(λ·|z|) in nm (fresnel-physics.md: 1.6 nm at 1 µm, 200 kV). */
export function fringeScaleNm(defocusNm: number, kV: number): number {
  return Math.sqrt(wavelengthNm(kV * 1000) * Math.abs(defocusNm));
}

export interface FringeModel {
  /** Radial profile of a void of radius `radiusNm` at defocus `defocusNm`, in `bins` (pixels of `pixelNm`). */
  profile(radiusNm: number, defocusNm: number, pixelNm: number, bins: ProfileBins): Float64Array;
}

const CACHE_MAX = 4000;

export function createFringeModel(o: FringeModelOptions = DEFAULT_FRINGE_MODEL): FringeModel {
  const cache = new Map<string, Float64Array>();
  return {
    profile(radiusNm, defocusNm, pixelNm, bins) {
      const key = `${pixelNm}|${radiusNm}|${defocusNm}|${bins.binPx}|${bins.count}`;
      let p = cache.get(key);
      if (!p) {
        p = simulateProfile(radiusNm, defocusNm, pixelNm, bins, o);
        if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
        cache.set(key, p);
      }
      return p;
    },
  };
}

/** One void at the centre of a power-of-two grid just wide enough that its periodic copies stay out of the profile. */
export function simulateProfile(radiusNm: number, defocusNm: number, pixelNm: number, bins: ProfileBins, o: FringeModelOptions): Float64Array {
  const rOutPx = bins.count * bins.binPx;
  const spreadPx = 2 * fringeScaleNm(defocusNm, o.kV) / pixelNm;
  // The nearest periodic copy sits n px away; its void and fringe must stay beyond the profile's reach.
  const rPx = radiusNm / pixelNm;
  let n = 32;
  while (n < rOutPx + rPx + spreadPx + 4 && n < 512) n *= 2;
  const re = new Float64Array(n * n), im = new Float64Array(n * n);
  voidWave(re, im, n, radiusNm / pixelNm, -interactionConstant(o.kV * 1000) * o.v0 * pixelNm);
  const optics: OpticsParams = { kV: o.kV, defocusNm, csNm: o.csNm, astigNm: 0, astigAngle: 0, alphaRad: o.alphaRad, focalSpreadNm: o.focalSpreadNm, apertureRad: 0 };
  const out = new Float32Array(n * n);
  propagate(re, im, n, pixelNm, optics, out);
  return radialProfile(out, n, n, n / 2, n / 2, bins).mean;
}

/**
 * exp(iφ) of a sphere of radius rPx centred on the grid, φ = k·chord (k in rad per pixel of
 * chord), each pixel averaged over 4×4 sub-samples: a 2-px void is otherwise a jagged square.
 */
function voidWave(re: Float64Array, im: Float64Array, n: number, rPx: number, kPerPx: number): void {
  re.fill(1); im.fill(0);
  const c = n / 2, s = 4;
  const lo = Math.max(0, Math.floor(c - rPx - 1)), hi = Math.min(n - 1, Math.ceil(c + rPx + 1));
  for (let y = lo; y <= hi; y++) {
    for (let x = lo; x <= hi; x++) {
      let sr = 0, si = 0;
      for (let j = 0; j < s; j++) {
        for (let i = 0; i < s; i++) {
          const dx = x + (i + 0.5) / s - c, dy = y + (j + 0.5) / s - c;
          const q = rPx * rPx - dx * dx - dy * dy;
          const phi = q > 0 ? kPerPx * 2 * Math.sqrt(q) : 0;
          sr += Math.cos(phi); si += Math.sin(phi);
        }
      }
      re[y * n + x] = sr / (s * s); im[y * n + x] = si / (s * s);
    }
  }
}
