/**
 * Presets: families of microscope sessions. Each draws one image's concrete parameters from
 * ranges with the image's own random stream, so a training set spans a preset's variety and
 * a detector trained on one preset meets a domain shift on another.
 *
 * In-domain (after the paper's data sets, Li et al. 2025):
 *   steel-under / steel-over  irradiated steels, voids 2–20 nm, 200 kV, ±0.5–2 µm defocus
 *   he-bubbles                dense 1–3 nm He bubbles, fine pixels, thin foil, under-focus
 *   he-bubbles-over           the same specimens over-focus (dark dots, faint bright rims): the
 *                             through-focus partner, and the look of the real fine-pixel
 *                             over-focus void images (e.g. "41dpa voids5 +512.png")
 *   steel-faceted             large faceted voids (truncated octahedra, cubes), 3–400 px in
 *                             one image, 0.5–3 nm/px, either focus (the 666² micrographs)
 *   steel-faint               sparse faint 2–6 nm cavities in strong mottle, bend contours,
 *                             black-dot damage, loops, dislocations (0.1–0.7 nm/px)
 *   real-background           those voids composited onto crops of real cavity-free
 *                             micrographs (../shared/data/backgrounds), as Lynch et al. 2024
 *   fe-insitu                 Fe / Fe-Cr in-situ ion irradiation: 300 kV, coarse pixels, low
 *                             dose (video-rate frames), many loops and dislocations, blur
 * Out-of-domain (where a detector should fail and the F1 predictor should notice):
 *   ood-empty     steel foil with precipitates, loops, specks but no cavities
 *   ood-defocus   steel voids at 2.5–3 µm defocus with 0.3–1 µm astigmatism, poor coherence
 *   ood-lowdose   steel voids at 0.3–2 e⁻/Å² (many fall below the Rose criterion)
 *   ood-texture   a non-TEM image (mosaic, gratings, shapes): nothing to find
 */
import type { Rng } from './rng.js';
import type { OpticsParams } from './optics.js';
import type { BackgroundParams } from './background.js';
import type { CavityParams, DistractorParams } from './specimen.js';
import { drawRealBackground, type RealBackgroundParams } from './realbg.js';

/** Every number one render needs (a preset draws these; the renderer is a pure function of them and a seed). */
export interface SimParams {
  preset: string;
  /** Output width = height in pixels. */
  size: number;
  pixelNm: number;
  optics: OpticsParams;
  doseEPerA2: number;
  /** Detector point spread σ (pixels). */
  mtfSigmaPx: number;
  /** RMS phase (rad per pixel) of the amorphous surface layers (oxide, contamination). */
  amorphousRad: number;
  background: BackgroundParams;
  cavities: CavityParams;
  distractors: DistractorParams;
  /** ood-texture: draw a non-TEM picture instead of a specimen. */
  texture: boolean;
  /** real-background: composite the cavities onto this patch of a real cavity-free micrograph (realbg.ts). */
  realBackground?: RealBackgroundParams;
  /** 8-bit export levels: the 0.5 % / 99.5 % intensity percentiles map to these grey values. */
  display: { lo8: number; hi8: number };
}

export type Focus = 'under' | 'over';

/**
 * 8-bit export levels like the real set's (docs/sim/stats.md: per image, the 0.5 % percentile
 * lies at grey 9–98 and the 99.5 % one at 115–240, 10th–90th percentiles).
 */
function displayLevels(rng: Rng): { lo8: number; hi8: number } {
  const lo8 = Math.round(rng.uniform(8, 100));
  return { lo8, hi8: Math.min(250, lo8 + Math.round(rng.uniform(90, 170))) };
}

const logUniform = (rng: Rng, lo: number, hi: number): number => Math.exp(rng.uniform(Math.log(lo), Math.log(hi)));

/** The common steel session; `sign` −1 under-focus, +1 over-focus. */
function steel(rng: Rng, sign: number, name: string, size: number): SimParams {
  return {
    preset: name,
    size,
    pixelNm: rng.uniform(0.3, 0.7),
    optics: {
      kV: 200,
      defocusNm: sign * rng.uniform(500, 2000),
      csNm: 1.2e6,
      astigNm: rng.uniform(0, 60),
      astigAngle: rng.uniform(0, Math.PI),
      alphaRad: rng.uniform(0.05e-3, 0.2e-3),
      focalSpreadNm: 5,
      apertureRad: 0,
    },
    doseEPerA2: logUniform(rng, 4, 30),
    mtfSigmaPx: rng.uniform(0.4, 0.7),
    amorphousRad: rng.uniform(0.03, 0.08),
    background: {
      thicknessNm: rng.uniform(60, 150),
      wedge: rng.uniform(0, 0.15),
      wedgeAngle: rng.uniform(0, 2 * Math.PI),
      absorptionNm: 150,
      mottle: rng.uniform(0.06, 0.16),
      mottleLargestNm: 40,
      mottleSmallestNm: 3,
      bendContours: rng.next() < 0.4 ? 1 : 0,
      bendStrength: rng.uniform(0.15, 0.4),
    },
    cavities: {
      densityPerUm2: rng.uniform(400, 1500),
      medianDiameterNm: rng.uniform(3, 7),
      clustering: rng.uniform(0, 0.7),
      sigmaLog: 0.4,
      facetedFraction: 0.4,
      v0: rng.uniform(20, 28),
      fill: 0,
    },
    distractors: {
      precipitatesPerUm2: rng.uniform(20, 120),
      precipitateDiameterNm: [3, 14],
      loopsPerUm2: rng.uniform(10, 60),
      loopDiameterNm: [5, 20],
      dislocationsPerUm2: rng.uniform(5, 25),
      specksPerUm2: rng.uniform(300, 2500),
    },
    texture: false,
    display: displayLevels(rng),
  };
}

/** Dense small bubbles at fine pixels; `sign` −1 under-focus, +1 over-focus. */
function heBubbles(rng: Rng, size: number, sign = -1, name = 'he-bubbles'): SimParams {
  const p = steel(rng, sign, name, size);
  p.pixelNm = rng.uniform(0.15, 0.28);
  p.optics.defocusNm = sign * rng.uniform(250, 1000);
  p.background.thicknessNm = rng.uniform(30, 80);
  p.background.mottleSmallestNm = 2;
  p.background.mottleLargestNm = 40;
  p.cavities = { densityPerUm2: rng.uniform(4000, 12000), medianDiameterNm: rng.uniform(1.3, 2.2), sigmaLog: 0.3, facetedFraction: 0, clustering: rng.uniform(0.2, 0.8), v0: rng.uniform(20, 28), fill: 0.1 };
  p.doseEPerA2 = logUniform(rng, 60, 250);
  p.distractors.precipitatesPerUm2 = 0;
  p.distractors.loopsPerUm2 = rng.uniform(50, 300);
  p.distractors.loopDiameterNm = [2, 6];
  return p;
}

function feInsitu(rng: Rng, size: number): SimParams {
  const p = steel(rng, -1, 'fe-insitu', size);
  p.pixelNm = rng.uniform(0.7, 1.2);
  p.optics.kV = 300;
  p.optics.defocusNm = -rng.uniform(700, 2500);
  p.optics.alphaRad = rng.uniform(0.1e-3, 0.3e-3);
  p.doseEPerA2 = logUniform(rng, 2, 10);
  p.mtfSigmaPx = rng.uniform(0.7, 1.1);
  p.cavities.medianDiameterNm = rng.uniform(6, 12);
  p.cavities.densityPerUm2 = rng.uniform(60, 250);
  p.distractors.loopsPerUm2 = rng.uniform(80, 250);
  p.distractors.loopDiameterNm = [6, 30];
  p.distractors.dislocationsPerUm2 = rng.uniform(20, 60);
  p.background.bendContours = 1 + rng.int(2);
  p.background.mottle = rng.uniform(0.08, 0.16);
  return p;
}

/**
 * Large faceted voids (the 666² micrographs of the paper's repository): truncated octahedra,
 * cuboctahedra and cubes of one grain orientation, 3 px to 400 px across in one image, both
 * focus signs, 0.5–3 nm/px. Thicker foils (100–300 nm, and at least 1.15× the largest void,
 * at most 400 nm) and an absorption length of 150–300 nm (longer with voids > 100 nm), so a
 * 60 nm deficit brightens a void by 1.2–1.5×, as in the real images; mottle 0.1–0.3 up to
 * 150 nm; wider, longer dislocations (strain contrast spreads over ~ξ_g/π at low magnification).
 * Noise, MTF and display levels were set against the real 666² set (docs/sim/stats.md).
 */
function steelFaceted(rng: Rng, size: number): SimParams {
  const sign = rng.next() < 0.5 ? -1 : 1;
  const p = steel(rng, sign, 'steel-faceted', size);
  p.pixelNm = logUniform(rng, 0.5, 3);
  p.optics.defocusNm = sign * logUniform(rng, 300, 3000);
  // The largest void (px) fits in the foil (≤ 350 nm): 400 px voids need ≤ 0.8 nm/px.
  const maxPx = Math.min(0.8 * size, logUniform(rng, 60, 400), 350 / p.pixelNm);
  const maxNm = maxPx * p.pixelNm;
  p.background.thicknessNm = Math.min(400, Math.max(rng.uniform(100, 300), 1.15 * maxNm));
  // Longer absorption lengths where the voids are large, so the largest stays ≤ ~3× brighter.
  p.background.absorptionNm = rng.uniform(150, 300) * Math.max(1, maxNm / 100);
  p.background.mottleLargestNm = 150;
  p.background.mottleSmallestNm = 4;
  p.background.mottle = rng.uniform(0.1, 0.3);
  // Low-magnification frames are noisy per pixel (docs/sim/stats.md: the real 666² set has 2× the
  // power at 0.15–0.5 cycles/px of a 4–30 e⁻/Å² render at 1–3 nm/px): 30–600 electrons per pixel.
  p.doseEPerA2 = logUniform(rng, 30, 600) / (10 * p.pixelNm) ** 2;
  p.mtfSigmaPx = rng.uniform(0.3, 0.6);
  // Their 8-bit exports use more of the grey range (p1 ≈ 40, p99 ≈ 216).
  const lo8 = Math.round(rng.uniform(10, 70));
  p.display = { lo8, hi8: Math.min(252, lo8 + Math.round(rng.uniform(150, 220))) };
  p.background.bendContours = rng.next() < 0.5 ? 1 + rng.int(2) : 0;
  const s0 = rng.uniform(1.2, 3.2);
  p.distractors.dislocationWidthNm = [2, 8];
  p.distractors.dislocationLengthNm = [100, 800];
  p.distractors.dislocationsPerUm2 = rng.uniform(0.5, 4);
  p.cavities.densityPerUm2 = 0;
  p.cavities.voids = {
    coverage: rng.uniform(0.03, 0.25),
    minPx: 3,
    maxPx,
    slope: rng.uniform(1.6, 2.8),
    largest: 1 + rng.int(3),
    maxCount: Math.min(5000, Math.round(300 * Math.max(1, (size / 512) ** 2))), // 300 per 512² frame area
    sphereBelowNm: 8,
    facets: {
      zone011: 0.2, zone111: 0.3, tiltRad: (3 * Math.PI) / 180,
      truncation: [s0 - 0.15, s0 + 0.15],
      elongatedFraction: rng.uniform(0, 0.5), maxElongation: 1.6,
      rounding: [0.88, 1],
      edgeNm: rng.uniform(0.5, 1.2),
    },
  };
  return p;
}

/**
 * A few large faceted voids and nothing smaller: the real 666² frames at high magnification
 * (tem-unlabelled 00072, 00085, 00153, 00216) hold 1-8 voids of 40-250 px. Without such frames
 * every row of the forest's table with 1-3 detections was a failure (cavities missed, or false
 * detections on an empty foil), so the forest gave those real frames F1 0.02-0.16 where, by eye,
 * the detector had found every void (docs/forest/README.md).
 */
function sparseFaceted(rng: Rng, size: number): SimParams {
  const p = steelFaceted(rng, size);
  p.preset = 'sparse-faceted';
  const v = p.cavities.voids!;
  v.maxPx = Math.min(v.maxPx, 0.5 * size);
  v.minPx = Math.min(v.maxPx / 2, logUniform(rng, 20, 50));
  v.largest = 1 + rng.int(2);
  v.maxCount = 1 + rng.int(8);
  v.coverage = rng.uniform(0.02, 0.2);
  v.edgeMargin = 0.3;
  // Bright as in those frames: steel-faceted lengthens the absorption length with the largest
  // void so that it stays within ~3x the matrix; these few voids are what the frame is of.
  p.background.absorptionNm = rng.uniform(150, 300);
  return p;
}

/**
 * Simulated cavities on real texture (realbg.ts): 40 % of the images take the steel session's
 * voids (2–20 nm, spheres and rounded polygons, either focus), 40 % the faceted voids of
 * steel-faceted, 20 % the dense small bubbles of he-bubbles (either focus); the background is a
 * crop of one of the real cavity-free micrographs.
 */
function realBackground(rng: Rng, size: number): SimParams {
  const u = rng.next(), sign = rng.next() < 0.5 ? -1 : 1;
  const p = u < 0.4 ? steel(rng, sign, 'real-background', size) : u < 0.8 ? steelFaceted(rng, size) : heBubbles(rng, size, sign);
  p.preset = 'real-background';
  p.realBackground = drawRealBackground(rng);
  return p;
}

/**
 * Faint cavities in strong diffraction contrast (the real 1024² under-focus frames where the
 * bundled detector found 1 in 4, e.g. "5-2 -2um.png", "cavity1 ….png", "10 78K.png"): sparse
 * small cavities (2–6 nm) at 0.1–0.7 nm/px, mostly under-focus, in heavy one-sided mottle up to
 * 120 nm, bend contours in 70 % of images, dense black-dot damage, loops (some near edge-on, dark
 * rods), dislocations and precipitates. Many cavities fall below the visibility rule: those are
 * left unlabelled, and a detector should not be punished for missing them.
 */
function steelFaint(rng: Rng, size: number): SimParams {
  const sign = rng.next() < 0.75 ? -1 : 1;
  const p = steel(rng, sign, 'steel-faint', size);
  p.pixelNm = logUniform(rng, 0.1, 0.7);
  p.optics.defocusNm = sign * logUniform(rng, 300, 2000);
  p.doseEPerA2 = logUniform(rng, 5, 40);
  p.amorphousRad = rng.uniform(0.05, 0.12);
  p.background.mottle = rng.uniform(0.18, 0.45);
  p.background.mottleLargestNm = 120;
  p.background.mottleSmallestNm = 3;
  p.background.wedge = rng.uniform(0, 0.3);
  p.background.bendContours = rng.next() < 0.7 ? 1 + rng.int(3) : 0;
  p.background.bendStrength = rng.uniform(0.3, 0.8);
  p.cavities.densityPerUm2 = rng.uniform(50, 400);
  p.cavities.medianDiameterNm = rng.uniform(2, 6);
  p.cavities.facetedFraction = 0.2;
  p.distractors.specksPerUm2 = rng.uniform(1000, 5000);
  p.distractors.loopsPerUm2 = rng.uniform(30, 150);
  p.distractors.loopAspect = [0.05, 1];
  p.distractors.dislocationsPerUm2 = rng.uniform(10, 40);
  p.distractors.precipitatesPerUm2 = rng.uniform(10, 60);
  return p;
}

type Builder = (rng: Rng, size: number) => SimParams;

export const PRESETS: Record<string, { description: string; build: Builder }> = {
  'steel-under': { description: 'irradiated steel voids, under-focus (bright, dark rim)', build: (r, s) => steel(r, -1, 'steel-under', s) },
  'steel-over': { description: 'irradiated steel voids, over-focus (dark, bright rim)', build: (r, s) => steel(r, 1, 'steel-over', s) },
  'he-bubbles': { description: 'dense 1-3 nm He bubbles, fine pixels, under-focus', build: (r, s) => heBubbles(r, s) },
  'he-bubbles-over': { description: 'dense 1-3 nm He bubbles, fine pixels, over-focus (dark dots, faint bright rims)', build: (r, s) => heBubbles(r, s, 1, 'he-bubbles-over') },
  'steel-faceted': { description: 'large faceted voids (truncated octahedra, cubes) 3-400 px, 0.5-3 nm/px, either focus', build: steelFaceted },
  'sparse-faceted': { description: 'a few (1-8) large faceted voids (20-400 px) and nothing smaller, 0.5-3 nm/px, either focus', build: sparseFaceted },
  'steel-faint': { description: 'faint small cavities (2-6 nm, 0.1-0.7 nm/px, mostly under-focus) in strong mottle, bend contours, black dots, loops', build: steelFaint },
  'real-background': { description: 'simulated voids (steel or faceted, either focus) on crops of the 20 real cavity-free micrographs (../shared/data/backgrounds)', build: realBackground },
  'fe-insitu': { description: 'Fe/Fe-Cr in-situ ion irradiation: 300 kV, low dose, loops, blur', build: feInsitu },
  'ood-empty': {
    description: 'out of domain: steel foil with distractors but no cavities',
    build: (r, s) => { const p = steel(r, r.next() < 0.5 ? -1 : 1, 'ood-empty', s); p.cavities.densityPerUm2 = 0; p.distractors.precipitatesPerUm2 *= 3; p.distractors.loopsPerUm2 *= 3; return p; },
  },
  'ood-defocus': {
    description: 'out of domain: 2.5-3 um defocus, 0.3-1 um astigmatism, poor coherence',
    build: (r, s) => {
      const p = steel(r, r.next() < 0.5 ? -1 : 1, 'ood-defocus', s);
      p.optics.defocusNm = Math.sign(p.optics.defocusNm) * r.uniform(2500, 3000);
      p.optics.astigNm = r.uniform(300, 1000);
      p.optics.alphaRad = r.uniform(0.3e-3, 0.6e-3);
      return p;
    },
  },
  'ood-lowdose': {
    description: 'out of domain: 0.3-2 e/A^2, many cavities below the Rose criterion',
    build: (r, s) => { const p = steel(r, r.next() < 0.5 ? -1 : 1, 'ood-lowdose', s); p.doseEPerA2 = logUniform(r, 0.3, 2); return p; },
  },
  'ood-texture': {
    description: 'out of domain: a non-TEM picture (mosaic, gratings, shapes), nothing to find',
    build: (r, s) => { const p = steel(r, -1, 'ood-texture', s); p.cavities.densityPerUm2 = 0; p.texture = true; p.doseEPerA2 = 200; p.display = { lo8: 0, hi8: 255 }; return p; },
  },
};

export const PRESET_NAMES = Object.keys(PRESETS);

/** The preset for a CLI call: explicit name, else the steel preset of --focus, else steel-under. */
export function presetFor(name: string | undefined, focus: Focus | undefined): string {
  if (name) return name;
  return focus === 'over' ? 'steel-over' : 'steel-under';
}

/** Draws one image's parameters from a preset. Throws with the list of names for an unknown one. */
export function drawParams(name: string, rng: Rng, size: number): SimParams {
  const p = PRESETS[name];
  if (!p) throw new Error(`unknown preset "${name}" (known: ${PRESET_NAMES.join(', ')})`);
  return p.build(rng, size);
}
