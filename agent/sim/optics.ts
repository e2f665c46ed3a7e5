/**
 * Electron optics of the simulator: wavelength, interaction constant, and the coherent
 * transfer function that turns the specimen's exit wave into a (noise-free) image.
 *
 * Model (Kirkland, "Advanced Computing in Electron Microscopy", ch. 3; fresnel-physics.md):
 *   λ  = h / sqrt(2·m0·e·U·(1 + e·U/(2·m0·c²)))                  relativistic wavelength
 *   σ  = 2π·m·e·λ / h²,  m = m0·(1 + e·U/(m0·c²))                  interaction constant
 *   ψ_exit(r) = exp(i·σ·Vp(r)) · exp(-μ(r)/2)                       thin phase/amplitude object
 *   χ(k) = π·λ·z(φ)·k² + (π/2)·Cs·λ³·k⁴,  z(φ) = z + A·cos(2(φ − φA))  (2-fold astigmatism A)
 *   H(k) = exp(−i·χ(k)) · Aperture(k) · Es(k) · Et(k)
 *   Es(k) = exp(−(π·α/λ)²·(λ·z·k + Cs·λ³·k³)²)                    spatial coherence (semi-angle α)
 *   Et(k) = exp(−½·(π·λ·Δ)²·k⁴)                                     temporal coherence (focal spread Δ)
 *   I(r) = |IFFT( FFT(ψ_exit) · H )|²
 * Sign convention (pinned by test/sim/optics.test.ts against the observable rule of the real
 * pairs): z < 0 is UNDER-focus (a void, a phase minimum, images bright with a dark rim),
 * z > 0 is OVER-focus (dark with a bright rim). The envelopes multiply the wave (the
 * quasi-coherent approximation), which is accurate for the weak, low-frequency contrast here.
 */
import { fft2T, ifft2T } from './fft.js';

const H_PLANCK = 6.62607015e-34;
const M0 = 9.1093837015e-31;
const E_CHARGE = 1.602176634e-19;
const C_LIGHT = 299792458;

/** Relativistic electron wavelength in nm for an accelerating voltage in volts. */
export function wavelengthNm(volts: number): number {
  const p = Math.sqrt(2 * M0 * E_CHARGE * volts * (1 + (E_CHARGE * volts) / (2 * M0 * C_LIGHT * C_LIGHT)));
  return (H_PLANCK / p) * 1e9;
}

/** Interaction constant σ in rad/(V·nm) (7.29e-3 at 200 kV, 6.53e-3 at 300 kV). */
export function interactionConstant(volts: number): number {
  const lambdaM = wavelengthNm(volts) * 1e-9;
  const m = M0 * (1 + (E_CHARGE * volts) / (M0 * C_LIGHT * C_LIGHT));
  return ((2 * Math.PI * m * E_CHARGE * lambdaM) / (H_PLANCK * H_PLANCK)) * 1e-9;
}

/** Microscope settings of one exposure; lengths in nm, angles in rad. */
export interface OpticsParams {
  kV: number;
  /** Defocus z in nm: negative = under-focus, positive = over-focus. */
  defocusNm: number;
  /** Spherical aberration Cs in nm (1.2 mm = 1.2e6 nm). */
  csNm: number;
  /** 2-fold astigmatism amplitude A in nm and its azimuth φA in rad. */
  astigNm: number;
  astigAngle: number;
  /** Illumination semi-angle α (rad) for Es. */
  alphaRad: number;
  /** Focal spread Δ (nm) for Et. */
  focalSpreadNm: number;
  /** Objective aperture semi-angle (rad); 0 = none. */
  apertureRad: number;
}

/**
 * Propagates an n×n exit wave (re/im, overwritten) to the image plane and writes the
 * intensity |ψ_image|² into `out`. Pixel size in nm. The spectrum comes out of fft2T
 * transposed (index kx*n+ky), so H is evaluated with that layout.
 */
export function propagate(re: Float64Array, im: Float64Array, n: number, pixelNm: number, o: OpticsParams, out: Float32Array): void {
  fft2T(re, im, n);
  applyTransfer(re, im, n, pixelNm, o);
  ifft2T(re, im, n);
  for (let i = 0; i < n * n; i++) out[i] = re[i]! * re[i]! + im[i]! * im[i]!;
}

/**
 * Multiplies a transposed spectrum by H(k) (formulas in the file comment). χ and the
 * envelopes are even in k, so H(−k) = H(k): each value is computed once and applied to the
 * pair (k, −k), halving the trigonometry (except on the Nyquist row/column, see below).
 */
export function applyTransfer(re: Float64Array, im: Float64Array, n: number, pixelNm: number, o: OpticsParams): void {
  const lambda = wavelengthNm(o.kV * 1000);
  const dk = 1 / (n * pixelNm);
  const kAp2 = o.apertureRad > 0 ? (o.apertureRad / lambda) ** 2 : Infinity;
  const sCoh2 = ((Math.PI * o.alphaRad) / lambda) ** 2;
  const tCoh = 0.5 * (Math.PI * lambda * o.focalSpreadNm) ** 2;
  const c2 = Math.cos(2 * o.astigAngle), s2 = Math.sin(2 * o.astigAngle);
  const csL2 = o.csNm * lambda * lambda;
  const piL = Math.PI * lambda;
  for (let ix = 0; ix < n; ix++) {
    const jx = ix === 0 ? 0 : n - ix;
    const kx = (ix < n / 2 ? ix : ix - n) * dk;
    for (let iy = 0; iy < n; iy++) {
      const jy = iy === 0 ? 0 : n - iy;
      const p = ix * n + iy;
      // On the Nyquist row/column −k aliases onto a sample whose own H differs (kx·ky flips
      // sign), so those samples are computed alone; all others share H with their partner.
      const nyq = ix === n / 2 || iy === n / 2;
      const q = nyq ? p : jx * n + jy;
      if (q < p) continue; // done together with its partner
      const ky = (iy < n / 2 ? iy : iy - n) * dk;
      const k2 = kx * kx + ky * ky;
      let hr = 0, hi = 0;
      if (k2 <= kAp2) {
        // cos(2(φ−φA)) = cos2φ·cos2φA + sin2φ·sin2φA, with cos2φ = (kx²−ky²)/k², sin2φ = 2kxky/k².
        const astig = k2 > 0 ? o.astigNm * (((kx * kx - ky * ky) * c2 + 2 * kx * ky * s2) / k2) : 0;
        const z = o.defocusNm + astig;
        const chi = piL * k2 * (z + 0.5 * csL2 * k2);
        const g = z + csL2 * k2; // ∂χ/∂k / (2π) = λ·k·(z + Cs·λ²·k²)
        const env = Math.exp(-sCoh2 * lambda * lambda * k2 * g * g - tCoh * k2 * k2);
        hr = Math.cos(chi) * env; hi = -Math.sin(chi) * env;
      }
      mulAt(re, im, p, hr, hi);
      if (q !== p) mulAt(re, im, q, hr, hi);
    }
  }
}

function mulAt(re: Float64Array, im: Float64Array, p: number, hr: number, hi: number): void {
  const a = re[p]!, b = im[p]!;
  re[p] = a * hr - b * hi;
  im[p] = a * hi + b * hr;
}
