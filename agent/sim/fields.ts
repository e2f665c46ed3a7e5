/**
 * Smooth random fields (value noise) used for foil thickness, strain mottle and bend
 * contours. They are periodic over the n×n render grid so the FFT's wrap-around never sees
 * a seam, and they are evaluated on a coarse grid and bilinearly upsampled because their
 * features are ≥ 20 nm (many pixels) wide.
 */
import type { Rng } from './rng.js';

/** A periodic lattice of random values, interpolated with a smoothstep (C1) kernel. */
export interface Lattice { cells: number; values: Float32Array }

export function randomLattice(rng: Rng, cells: number): Lattice {
  const values = new Float32Array(cells * cells);
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  return { cells, values };
}

/** Value of the lattice at (u, v) in cell units (periodic). */
export function sampleLattice(l: Lattice, u: number, v: number): number {
  const c = l.cells;
  const i0 = Math.floor(u), j0 = Math.floor(v);
  let fu = u - i0, fv = v - j0;
  fu = fu * fu * (3 - 2 * fu);
  fv = fv * fv * (3 - 2 * fv);
  const i = ((i0 % c) + c) % c, j = ((j0 % c) + c) % c;
  const i1 = (i + 1) % c, j1 = (j + 1) % c;
  const a = l.values[j * c + i]!, b = l.values[j * c + i1]!;
  const d = l.values[j1 * c + i]!, e = l.values[j1 * c + i1]!;
  return (a + (b - a) * fu) * (1 - fv) + (d + (e - d) * fu) * fv;
}

/**
 * Multi-octave (fractal) value noise on an m×m grid covering the full render field,
 * with features from `largestPx` down to `smallestPx` (in render pixels of an n-grid).
 * Each octave (half the feature size) has 0.9× the amplitude of the previous one, a nearly
 * scale-free mottle; the sum is normalised to unit RMS.
 */
export function fractalNoise(rng: Rng, m: number, n: number, largestPx: number, smallestPx: number): Float32Array {
  const out = new Float32Array(m * m);
  let scale = largestPx;
  let amp = 1;
  let norm = 0;
  while (scale >= smallestPx * 0.99 && scale >= 2) {
    const cells = Math.max(1, Math.round(n / scale));
    const lat = randomLattice(rng, cells);
    const k = cells / m;
    for (let y = 0; y < m; y++) for (let x = 0; x < m; x++) out[y * m + x] = out[y * m + x]! + amp * sampleLattice(lat, x * k, y * k);
    norm += amp * amp * 0.35; // smoothstep value noise of unit-variance nodes has variance ≈ 0.35
    scale /= 2;
    amp *= 0.9;
  }
  const s = 1 / Math.sqrt(norm || 1);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * s;
  return out;
}

/**
 * Bilinear upsampling of an m×m field to n×n (edges clamped, so non-periodic ramps survive).
 * Column indices and weights are the same for every row, so they are computed once.
 */
export function upsample(src: Float32Array, m: number, n: number): Float32Array {
  const out = new Float32Array(n * n);
  const f = m / n;
  const ia = new Int32Array(n), ib = new Int32Array(n), fu = new Float64Array(n);
  for (let x = 0; x < n; x++) {
    const u = (x + 0.5) * f - 0.5;
    const i0 = Math.floor(u);
    fu[x] = u - i0;
    ia[x] = Math.min(m - 1, Math.max(0, i0));
    ib[x] = Math.min(m - 1, Math.max(0, i0 + 1));
  }
  for (let y = 0; y < n; y++) {
    const v = (y + 0.5) * f - 0.5;
    const j0 = Math.floor(v), fv = v - j0;
    const ja = Math.min(m - 1, Math.max(0, j0)) * m, jb = Math.min(m - 1, Math.max(0, j0 + 1)) * m;
    const row = y * n;
    for (let x = 0; x < n; x++) {
      const a = src[ja + ia[x]!]!, b = src[ja + ib[x]!]!, c = src[jb + ia[x]!]!, d = src[jb + ib[x]!]!;
      const t = fu[x]!;
      const top = a + (b - a) * t, bot = c + (d - c) * t;
      out[row + x] = top + (bot - top) * fv;
    }
  }
  return out;
}
