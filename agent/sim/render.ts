/**
 * The renderer: a pure function of (parameters, seed) → image, noise-free image, labels and
 * metadata. Nothing here touches files; callers (the simulate command, the demo feeder, tests,
 * other engineers' code in-process) encode and write.
 *
 *   1. cavities and distractors → local phase φ(r) and absorption μ(r)   (specimen.ts)
 *      plus the amorphous surface layers: φ += uniform noise of RMS a per pixel
 *   2. exit wave ψ = exp(−μ/2)·exp(iφ); Fresnel propagation I = |F⁻¹[F[ψ]·H]|²  (optics.ts)
 *   3. × the smooth background transmission T(r) (thickness, mottle, bend contours)  (background.ts)
 *   4. shot noise for the dose, then the detector MTF (noise.ts)
 *   5. labels from the noise-free image after the MTF (labels.ts), judged against the same
 *      specimen rendered without its cavities (same streams, so the same background)
 * The optics run on a power-of-two grid n ≥ size (gridSize); the image is its top-left size² crop.
 * Independent random streams (forks of the seed's stream) feed the specimen, the
 * distractors, the background and the noise, so e.g. changing the dose changes only the noise.
 */
import { createRng, type Rng } from './rng.js';
import { interactionConstant, propagate, wavelengthNm } from './optics.js';
import { backgroundTransmission } from './background.js';
import { addCavities, addDistractors, placeCavities, type Cavity } from './specimen.js';
import { labelCavities, type CavityLabel } from './labels.js';
import { addShotNoise, countsPerPixel, gaussianBlur } from './noise.js';
import { texturePicture } from './texture.js';
import { toUint8 } from './encode.js';
import { drawParams, type SimParams } from './presets.js';
import { backgroundPatch, composite, createBackgroundStore, noiseLevel, type BackgroundStore } from './realbg.js';

export interface SimMetadata {
  preset: string;
  seed: number;
  kV: number;
  defocus_nm: number;
  /** Electron dose in e⁻/Å². */
  dose: number;
  pixel_size_nm: number;
  cs_mm: number;
  astig_nm: number;
  astig_angle_deg: number;
  thickness_nm: number;
  counts_per_pixel: number;
  mtf_sigma_px: number;
  fringe_nm: number;
  cavities_total: number;
  cavities_visible: number;
  /** 8-bit export levels (see encode.toUint8). */
  display_lo8: number;
  display_hi8: number;
  /** real-background: the file the patch was cut from. */
  background?: string;
}

/** What a render may need from outside: the real backgrounds (created from the default folder when absent). */
export interface RenderEnv { backgrounds?: BackgroundStore }

export interface RenderResult {
  width: number;
  height: number;
  /** Noisy relative intensity (1 = unattenuated beam), what the camera recorded. */
  image: Float32Array;
  /** Noise-free relative intensity as the camera would record it (after the MTF, before shot noise). */
  clean: Float32Array;
  /** Every cavity at least half inside the image, with its visibility decision. */
  labels: CavityLabel[];
  cavities: Cavity[];
  metadata: SimMetadata;
}

/**
 * The periodic optics grid: the next power of two ≥ size, or ≥ size + the largest void when
 * voids larger than size/8 are drawn, so that a large void cut by one edge of the frame does
 * not reappear at the opposite edge (small cavities may: they are labelled on both sides).
 */
export function gridSize(p: SimParams): number {
  const v = p.cavities.voids;
  return nextPowerOfTwo(v && v.maxPx > p.size / 8 ? p.size + Math.ceil(v.maxPx) : p.size);
}

export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

/**
 * Convenience for in-process callers: draw a preset's parameters with `seed` and render them
 * with the same seed — exactly what `temguard simulate --preset NAME --seed S --count 1` does.
 */
export function renderPreset(preset: string, seed: number, size = 512, env: RenderEnv = {}): RenderResult {
  return render(drawParams(preset, createRng(seed), size), seed, env);
}

/** The 8-bit export of a render at its drawn display levels. */
export function to8bit(r: RenderResult): Uint8Array {
  return toUint8(r.image, r.metadata.display_lo8, r.metadata.display_hi8);
}

/** Renders one image. Same (params, seed) → same numbers, bit for bit. */
export function render(p: SimParams, seed: number, env: RenderEnv = {}): RenderResult {
  const size = p.size;
  if (!Number.isInteger(size) || size < 16 || size > 8192) throw new Error(`size must be an integer in 16..8192, got ${size}`);
  if (p.realBackground) return renderOnReal(p, seed, env.backgrounds ?? createBackgroundStore());
  const rngs = streams(seed);
  const perPixel = countsPerPixel(p.doseEPerA2, p.pixelNm);
  const fringeNm = Math.sqrt(wavelengthNm(p.optics.kV * 1000) * Math.abs(p.optics.defocusNm));
  let clean: Float32Array;
  let cavities: Cavity[] = [];
  if (p.texture) clean = texturePicture(rngs.specimen, size);
  else {
    cavities = placeCavities(rngs.specimen, size, p.pixelNm, p.background.thicknessNm, p.cavities);
    clean = imageSpecimen(p, cavities, rngs.distract, rngs.back);
  }
  const image = clean.slice();
  addShotNoise(rngs.noise, image, perPixel);
  gaussianBlur(image, size, size, p.mtfSigmaPx);
  // The expected camera image without shot noise is the blurred intensity: labels are judged
  // on what the detector can resolve.
  gaussianBlur(clean, size, size, p.mtfSigmaPx);
  const period = gridSize(p);
  const labels = cavities.length ? labelCavities(cavities, {
    clean, background: cavityFree(p, seed), width: size, height: size, pixelNm: p.pixelNm, fringeNm, countsPerPixel: perPixel, period,
  }) : [];
  return { width: size, height: size, image, clean, labels, cavities, metadata: metadataOf(p, seed, perPixel, fringeNm, labels) };
}

/**
 * real-background (realbg.ts): the cavities' contrast C = I/I_flat on a flat foil, after the
 * MTF, applied to a real cavity-free patch B: image B·C (+ noise where C < 1), labels judged on
 * B·C against B.
 */
function renderOnReal(p: SimParams, seed: number, store: BackgroundStore): RenderResult {
  const size = p.size;
  const rngs = streams(seed);
  const flat = flatFoil(p);
  const cavities = placeCavities(rngs.specimen, size, p.pixelNm, p.background.thicknessNm, p.cavities);
  // A patch enlarged from its source (scale < 1) is blurred by the enlargement; the cavities get
  // the same resolution (a source pixel spans 1/scale output pixels), else they look pasted on.
  const blurPx = Math.max(p.mtfSigmaPx, 0.45 / p.realBackground!.scale);
  const withCav = imageSpecimen(flat, cavities, rngs.distract, rngs.back);
  gaussianBlur(withCav, size, size, blurPx);
  const contrast = withCav;
  const free = cavityFree({ ...flat, mtfSigmaPx: blurPx }, seed);
  for (let i = 0; i < contrast.length; i++) contrast[i] = contrast[i]! / free[i]!;
  const { patch, name } = backgroundPatch(store, p.realBackground!, size);
  const sigma = noiseLevel(patch, size);
  const image = composite(rngs.noise, patch, contrast, sigma, p.realBackground!.extraCounts);
  const clean = new Float32Array(size * size);
  for (let i = 0; i < clean.length; i++) clean[i] = patch[i]! * contrast[i]!;
  const fringeNm = Math.sqrt(wavelengthNm(p.optics.kV * 1000) * Math.abs(p.optics.defocusNm));
  // The patch's own noise is inside B, so it enters as clutter; the shot-noise term is the extra exposure's only.
  const extra = p.realBackground!.extraCounts;
  const labels = cavities.length ? labelCavities(cavities, {
    clean, background: patch, width: size, height: size, pixelNm: p.pixelNm, fringeNm, countsPerPixel: extra > 0 ? extra : 1e12, period: gridSize(p),
  }) : [];
  // Equivalent electrons per pixel of the total noise (patch σ² plus 1/extra).
  const variance = sigma * sigma + (extra > 0 ? 1 / extra : 0);
  const perPixel = variance > 0 ? 1 / variance : 1e6;
  return { width: size, height: size, image, clean, labels, cavities, metadata: { ...metadataOf(p, seed, perPixel, fringeNm, labels), background: name } };
}

/** The same specimen on a featureless foil: no distractors, amorphous grain, mottle, wedge or bend contours. */
function flatFoil(p: SimParams): SimParams {
  return {
    ...p,
    amorphousRad: 0,
    distractors: { ...p.distractors, precipitatesPerUm2: 0, loopsPerUm2: 0, dislocationsPerUm2: 0, specksPerUm2: 0 },
    background: { ...p.background, wedge: 0, mottle: 0, bendContours: 0 },
  };
}

interface Streams { specimen: Rng; distract: Rng; back: Rng; noise: Rng }

/** The seed's independent streams, always forked in this order. */
function streams(seed: number): Streams {
  const root = createRng(seed);
  return { specimen: root.fork(), distract: root.fork(), back: root.fork(), noise: root.fork() };
}

/**
 * The noise-free image of the same specimen without its cavities (fresh copies of the same
 * streams give the same distractors, amorphous layers and background), after the MTF. Labels
 * need it to tell a cavity's own signal, Fresnel fringes included, from the clutter around it:
 * measured on the image with cavities, a cavity's fringe tail and its neighbours counted as
 * clutter and hid cavities that are plainly visible.
 */
function cavityFree(p: SimParams, seed: number): Float32Array {
  const rngs = streams(seed);
  const out = imageSpecimen(p, [], rngs.distract, rngs.back);
  gaussianBlur(out, p.size, p.size, p.mtfSigmaPx);
  return out;
}

/**
 * Work buffers of the last grid size, reused across renders (24 MB at 1024²: allocating and
 * collecting them each time cost ~10 % of a render). Rendering is synchronous, so one set is
 * never used by two renders at once. phase/μ are zeroed here; re/im are fully overwritten.
 */
let scratch: { n: number; re: Float64Array; im: Float64Array; phase: Float32Array; mu: Float32Array } | null = null;
function scratchFor(n: number): { re: Float64Array; im: Float64Array; phase: Float32Array; mu: Float32Array } {
  if (!scratch || scratch.n !== n) scratch = { n, re: new Float64Array(n * n), im: new Float64Array(n * n), phase: new Float32Array(n * n), mu: new Float32Array(n * n) };
  scratch.phase.fill(0);
  scratch.mu.fill(0);
  return scratch;
}

/** Steps 1–3 of the file comment; returns the noise-free size² crop. */
function imageSpecimen(p: SimParams, cavities: Cavity[], rngDistract: Rng, rngBack: Rng): Float32Array {
  const n = gridSize(p);
  const sigma = interactionConstant(p.optics.kV * 1000);
  const { re, im, phase, mu } = scratchFor(n);
  const obj = { n, phase, mu };
  // re is free until exitWave fills it: the polyhedral voids' thickness deficit is summed there.
  addCavities(obj, cavities, p.pixelNm, sigma, p.cavities, p.background.absorptionNm, p.background.thicknessNm, re);
  addDistractors(rngDistract, obj, p.pixelNm, sigma, p.distractors);
  exitWave(obj.phase, obj.mu, p.amorphousRad, rngDistract, re, im);
  const intensity = mu; // μ is consumed by exitWave; its buffer takes the intensity
  propagate(re, im, n, p.pixelNm, p.optics, intensity);
  const t = backgroundTransmission(rngBack, n, p.size, p.pixelNm, p.background);
  const out = new Float32Array(p.size * p.size);
  for (let y = 0; y < p.size; y++) for (let x = 0; x < p.size; x++) out[y * p.size + x] = intensity[y * n + x]! * t[y * n + x]!;
  return out;
}

/**
 * ψ = exp(−μ/2)·exp(i(φ + φ_a)), φ_a the amorphous layers' phase: uniform noise of RMS a
 * (white at the pixel scale; after propagation only its spectrum matters, and the sum of many
 * atoms' contributions per pixel is what a Gaussian would model). Where μ = φ = 0 (most of
 * the field) and |φ_a| < 0.35 rad, cos/sin come from their Taylor series (error < 2e-6).
 */
function exitWave(phase: Float32Array, mu: Float32Array, a: number, rng: Rng, re: Float64Array, im: Float64Array): void {
  const span = a * Math.sqrt(12);
  for (let i = 0; i < re.length; i++) {
    const pa = span * (rng.next() - 0.5);
    const ph = phase[i]!, m = mu[i]!;
    if (ph === 0 && m === 0 && span < 0.7) {
      const p2 = pa * pa;
      re[i] = 1 - p2 * (0.5 - p2 * (1 / 24 - p2 / 720));
      im[i] = pa * (1 - p2 * (1 / 6 - p2 / 120));
      continue;
    }
    const amp = m === 0 ? 1 : Math.exp(-0.5 * m);
    re[i] = amp * Math.cos(ph + pa);
    im[i] = amp * Math.sin(ph + pa);
  }
}

function metadataOf(p: SimParams, seed: number, perPixel: number, fringeNm: number, labels: CavityLabel[]): SimMetadata {
  const r = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;
  return {
    preset: p.preset,
    seed,
    kV: p.optics.kV,
    defocus_nm: r(p.optics.defocusNm, 1),
    dose: r(p.doseEPerA2),
    pixel_size_nm: r(p.pixelNm, 4),
    cs_mm: r(p.optics.csNm / 1e6),
    astig_nm: r(p.optics.astigNm, 1),
    astig_angle_deg: r((p.optics.astigAngle * 180) / Math.PI, 1),
    thickness_nm: r(p.background.thicknessNm, 1),
    counts_per_pixel: r(perPixel, 1),
    mtf_sigma_px: r(p.mtfSigmaPx),
    fringe_nm: r(fringeNm),
    cavities_total: labels.length,
    cavities_visible: labels.filter((l) => l.visible).length,
    display_lo8: p.display.lo8,
    display_hi8: p.display.hi8,
  };
}
