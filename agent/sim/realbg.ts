/**
 * Real texture: simulated cavities composited onto crops of real cavity-free micrographs
 * (the 20 in-focus images of irradiated alloys in ../shared/data/backgrounds, nomelabs/COSMIC-ML,
 * MIT), as Lynch et al. 2024 (arXiv 2408.01558) did.
 *
 * Method: the cavities are rendered with the full Fresnel model on a flat foil of the preset's
 * thickness (no mottle, no distractors, no amorphous grain), and again without them; their
 * ratio C(r) = I_cavities / I_flat after the camera MTF is the cavities' own transmission
 * contrast at the preset's defocus (bright centre and dark rim under focus, the reverse over
 * focus). The real patch B (a crop, rescaled, flipped and turned, normalised to mean 1) is the
 * foil's intensity, and the image is I = B·C: a cavity modulates the transmitted intensity
 * wherever it sits, on a bend contour or in mottle as on a flat foil.
 * Noise: B carries its own camera noise, which I = B·C scales by C; Poisson noise would scale
 * by √C, so where C < 1 white noise of variance σ_B²·(C − C²) is added (σ_B: the patch's
 * noise level, from the MAD of pixel − mean of its 4 neighbours); where C > 1 the noise stays
 * slightly high (by √C, ≤ 1.3 for the brightest voids). Most patches then get a fresh
 * exposure's shot noise (30–1000 e⁻ per pixel) over the whole frame, cavities and texture alike:
 * the cavity-free backgrounds are cleaner at fine scales than the real cavity images.
 * Labels stay exact: the cavities, their outlines and the visibility rule are those of the
 * simulation; the visibility is judged on B·C against B (the real texture is the clutter, and
 * its noise is inside it, so no shot-noise term is added).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodePngGrey, type GreyImage } from './png.js';
import type { Rng } from './rng.js';

/** Which patch of which background an image uses (drawn by the preset, resolved at render). */
export interface RealBackgroundParams {
  /** In [0, 1): the background is files[floor(pick·count)] of the sorted directory listing. */
  pick: number;
  /** Source pixels per output pixel (the crop is size·scale wide, clipped to the source). */
  scale: number;
  /** Crop position as fractions of the free range. */
  fx: number;
  fy: number;
  flip: boolean;
  /** Quarter turns. */
  turns: number;
  /**
   * A fresh exposure's shot noise on top (electrons per pixel at the mean level; 0 = none). The
   * cavity-free backgrounds are cleaner at 0.05–0.5 cycles/px than the real cavity images
   * (docs/sim/stats.md), so most patches get some.
   */
  extraCounts: number;
}

/** The backgrounds, decoded on first use and kept (the 20 images, 36 M pixels, take ~145 MB as Float32 grey). */
export interface BackgroundStore {
  dir: string;
  count(): number;
  get(i: number): GreyImage;
  name(i: number): string;
}

/** ../shared/data/backgrounds relative to the repository root (the folder holding package.json). */
export function defaultBackgroundDir(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let k = 0; k < 6; k++) {
    if (exists(join(d, 'package.json'))) return resolve(d, '..', 'shared', 'data', 'backgrounds');
    d = dirname(d);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'data', 'backgrounds');
}

function exists(p: string): boolean {
  try { statSync(p); return true; } catch { return false; }
}

/** A store over the PNG files of `dir`; the listing is read on first use, with a clear error when there is none. */
export function createBackgroundStore(dir = defaultBackgroundDir()): BackgroundStore {
  let files: string[] | null = null;
  const cache = new Map<number, GreyImage>();
  const list = (): string[] => {
    if (files) return files;
    let names: string[];
    try { names = readdirSync(dir); } catch {
      throw new Error(`the real-background preset needs the cavity-free backgrounds in ${dir} (../shared/data/backgrounds next to the repository, or --backgrounds DIR); that folder cannot be read`);
    }
    files = names.filter((n) => n.toLowerCase().endsWith('.png')).sort();
    if (!files.length) throw new Error(`the real-background preset found no PNG backgrounds in ${dir}`);
    return files;
  };
  return {
    dir,
    count: () => list().length,
    name: (i) => list()[i]!,
    get(i) {
      let g = cache.get(i);
      if (!g) {
        const name = list()[i]!;
        g = decodePngGrey(readFileSync(join(dir, name)), name);
        cache.set(i, g);
      }
      return g;
    },
  };
}

/** Draws a patch: any background, 0.7–3 source px per output px (clipped to the source), any position, flip and quarter turn, extra shot noise. */
export function drawRealBackground(rng: Rng): RealBackgroundParams {
  const pick = rng.next(), scale = Math.exp(rng.uniform(Math.log(0.7), Math.log(3))), fx = rng.next(), fy = rng.next(), flip = rng.next() < 0.5, turns = rng.int(4);
  const extraCounts = rng.next() < 0.25 ? 0 : Math.exp(rng.uniform(Math.log(30), Math.log(1000)));
  return { pick, scale, fx, fy, flip, turns, extraCounts };
}

/**
 * The size² patch, normalised to mean 1: a square crop of side min(size·scale, source) at the
 * drawn position, resampled bilinearly (after a box pre-filter when shrinking, so the source's
 * noise averages as a camera binning would), flipped and turned.
 */
export function backgroundPatch(store: BackgroundStore, p: RealBackgroundParams, size: number): { patch: Float32Array; name: string } {
  const i = Math.min(store.count() - 1, Math.floor(p.pick * store.count()));
  const src = store.get(i);
  const side = Math.min(src.width, src.height, Math.max(8, Math.round(size * p.scale)));
  const x0 = Math.round(p.fx * (src.width - side)), y0 = Math.round(p.fy * (src.height - side));
  const f = side / size;
  const box = Math.max(1, Math.floor(f));
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Output (x, y) after flip and turns maps to (u, v) in the un-turned patch.
      let u = p.flip ? size - 1 - x : x, v = y;
      for (let k = 0; k < p.turns; k++) { const t = u; u = size - 1 - v; v = t; }
      out[y * size + x] = sampleBox(src, x0 + (u + 0.5) * f - 0.5, y0 + (v + 0.5) * f - 0.5, box, x0, y0, side);
    }
  }
  let mean = 0;
  for (let k = 0; k < out.length; k++) mean += out[k]!;
  mean /= out.length;
  const s = mean > 0 ? 1 / mean : 1;
  for (let k = 0; k < out.length; k++) out[k] = out[k]! * s;
  return { patch: out, name: store.name(i) };
}

/** Bilinear sample at (sx, sy) of the box-averaged source (box×box), clamped to the crop. */
function sampleBox(img: GreyImage, sx: number, sy: number, box: number, x0: number, y0: number, side: number): number {
  const at = (x: number, y: number): number => {
    const cx = Math.min(x0 + side - 1, Math.max(x0, x)), cy = Math.min(y0 + side - 1, Math.max(y0, y));
    if (box === 1) return img.data[cy * img.width + cx]!;
    let acc = 0, n = 0;
    const h = box >> 1;
    for (let dy = -h; dy < box - h; dy++) for (let dx = -h; dx < box - h; dx++) {
      const px = Math.min(x0 + side - 1, Math.max(x0, cx + dx)), py = Math.min(y0 + side - 1, Math.max(y0, cy + dy));
      acc += img.data[py * img.width + px]!; n++;
    }
    return acc / n;
  };
  const ix = Math.floor(sx), iy = Math.floor(sy), tx = sx - ix, ty = sy - iy;
  const a = at(ix, iy), b = at(ix + 1, iy), c = at(ix, iy + 1), d = at(ix + 1, iy + 1);
  return (a + (b - a) * tx) * (1 - ty) + (c + (d - c) * tx) * ty;
}

/**
 * The patch's white-noise level σ (relative to its mean 1): 1.4826·MAD of (pixel − mean of its
 * 4 neighbours), divided by sqrt(1.25) (that difference has 1.25× the pixel variance).
 */
export function noiseLevel(img: Float32Array, size: number): number {
  const d: number[] = [];
  const step = Math.max(1, Math.floor(size / 256));
  for (let y = 1; y < size - 1; y += step) for (let x = 1; x < size - 1; x += step) {
    const i = y * size + x;
    d.push(img[i]! - 0.25 * (img[i - 1]! + img[i + 1]! + img[i - size]! + img[i + size]!));
  }
  d.sort((a, b) => a - b);
  const med = d[d.length >> 1]!;
  const dev = d.map((v) => Math.abs(v - med)).sort((a, b) => a - b);
  return (1.4826 * dev[dev.length >> 1]!) / Math.sqrt(1.25);
}

/**
 * I = B·C, plus white noise σ²·(C − C²) where C < 0.999 (see the file comment), plus the shot
 * noise of `extraCounts` electrons per pixel at level 1 (variance I/N) when > 0. `contrast` is C.
 */
export function composite(rng: Rng, patch: Float32Array, contrast: Float32Array, sigma: number, extraCounts = 0): Float32Array {
  const out = new Float32Array(patch.length);
  const inv = extraCounts > 0 ? 1 / extraCounts : 0;
  for (let i = 0; i < patch.length; i++) {
    const c = contrast[i]!;
    let v = patch[i]! * c;
    if (c < 0.999 && sigma > 0) v += sigma * Math.sqrt(c - c * c) * rng.fastNormal();
    if (inv > 0) v += Math.sqrt(Math.max(0, v) * inv) * rng.fastNormal();
    out[i] = v;
  }
  return out;
}
