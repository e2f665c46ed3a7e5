/**
 * Defocus of one image, measured from the Fresnel fringes of its detected cavities.
 *
 * Each cavity's azimuthally averaged profile is correlated (sign kept) with the profile the
 * simulator's optics give a void of the same size at each candidate defocus (fringe-model.ts);
 * the image's defocus is the candidate with the best mean correlation, refined by a parabola
 * in log|z|. Under-focus (z < 0) images a void bright with a dark rim, over-focus dark with a
 * bright rim, and the rim widens as sqrt(λ|z|): so sign and magnitude come out of the same fit.
 * The uncertainty is the spread of that estimate when the cavities are resampled (bootstrap):
 * it says how much the image's own cavities agree, not how right the model is.
 *
 * An image where this cannot be measured gets `defocus_um: null` and the reason, never a guess:
 * no pixel size in nm, too few cavities of a usable size, profiles that match no candidate,
 * a best fit at the end of the candidate range, or cavities that disagree on the sign.
 */
import type { Detection, Frame } from '../types.js';
import { createFringeModel, fringeScaleNm, type FringeModel } from './fringe-model.js';
import { correlation, profileBins, radialProfile, type ProfileBins } from './profile.js';
import { createRng } from '../sim/rng.js';

export type DefocusReason = 'pixel_size_unknown' | 'too_few_cavities' | 'no_fresnel_fringe' | 'sign_ambiguous' | 'beyond_range';

export interface DefocusEstimate {
  /** Negative = under-focus, as microscopes and file names write it; null when not measurable. */
  defocus_um: number | null;
  /** One standard deviation (bootstrap over the cavities); null with defocus_um. */
  defocus_sigma_um: number | null;
  method: 'fresnel_fringe';
  /** Why defocus_um is null (absent when it is not). */
  reason?: DefocusReason;
  /** The reason in words, for the operator. */
  detail?: string;
  /** Cavities whose profiles were fitted. */
  cavities: number;
  /** Mean correlation of the measured with the best model profile (1 = identical shape). */
  match: number | null;
}

export interface DefocusOptions {
  /** Candidate |defocus| values (nm), both signs tried. */
  magnitudesNm: readonly number[];
  /** Fewest cavities a fit needs. */
  minCavities: number;
  /** At most this many cavities (highest score) are fitted: enough for the bootstrap, bounded cost. */
  maxCavities: number;
  /** Detections below this score are not trusted as cavities. */
  minScore: number;
  /** Usable cavity radii (px): below, the profile is a pixel or two; above, the fringe is a sliver of the profile. */
  minRadiusPx: number;
  maxRadiusPx: number;
  /** Mean correlation below this: no cavity-like Fresnel contrast. */
  minMatch: number;
  /** Bootstrap resamples, and the largest fraction of them that may land on the other sign. */
  bootstrap: number;
  maxOppositeSign: number;
}

export const DEFAULT_DEFOCUS_OPTIONS: DefocusOptions = {
  // 0.25–4 µm, about 20 % apart: the range fresnel-physics.md gives for cavity imaging, and beyond.
  magnitudesNm: [250, 300, 375, 450, 550, 650, 800, 1000, 1200, 1500, 1800, 2200, 2600, 3100, 3700, 4500],
  minCavities: 3,
  maxCavities: 24,
  minScore: 0.5,
  minRadiusPx: 1.5,
  maxRadiusPx: 40,
  minMatch: 0.4,
  bootstrap: 200,
  maxOppositeSign: 0.2,
};

/** A cavity as the fit needs it: centre and equivalent-circle radius in pixels. */
export interface Blob { cx: number; cy: number; rPx: number; score: number }

export interface DefocusEstimator {
  estimate(frame: Frame, detections: readonly Detection[]): DefocusEstimate;
}

export function createDefocusEstimator(model: FringeModel = createFringeModel(), o: DefocusOptions = DEFAULT_DEFOCUS_OPTIONS, kV = 200): DefocusEstimator {
  return { estimate: (frame, detections) => estimateDefocus(frame, detections.map(blobOf), model, o, kV) };
}

export function estimateDefocus(frame: Frame, blobs: readonly Blob[], model: FringeModel, o: DefocusOptions = DEFAULT_DEFOCUS_OPTIONS, kV = 200): DefocusEstimate {
  const px = frame.pixelSize;
  if (!px || px.unit !== 'nm' || !(px.x > 0)) return none('pixel_size_unknown', 'the pixel size in nm is needed to compare fringe widths with the optics', 0);
  const pixelNm = Math.sqrt(px.x * px.y);
  const candidates = [...o.magnitudesNm].reverse().map((m) => -m).concat(o.magnitudesNm);
  const used = usable(frame, blobs, o, pixelNm, kV);
  if (used.length < o.minCavities) return none('too_few_cavities', `${used.length} cavities of ${o.minRadiusPx}–${o.maxRadiusPx} px radius with score >= ${o.minScore} away from the edge; ${o.minCavities} needed`, used.length);
  // scores[i][j]: correlation of cavity i with candidate j.
  const scores = used.map((u) => {
    const measured = radialProfile(frame.data, frame.width, frame.height, u.blob.cx, u.blob.cy, u.bins);
    return candidates.map((z) => correlation(measured.mean, model.profile(u.rNm, z, pixelNm, u.bins), measured.n));
  });
  const all = scores.map((_, i) => i);
  const best = bestCandidate(scores, all, candidates);
  if (best.match < o.minMatch) return none('no_fresnel_fringe', `cavity profiles match no defocus between ±${o.magnitudesNm[0]! / 1000} and ±${o.magnitudesNm.at(-1)! / 1000} um (best mean correlation ${best.match.toFixed(2)})`, used.length, best.match);
  // The best fit on the last candidate says only "this far or further": a bound, not a measurement.
  if (Math.abs(best.z) >= o.magnitudesNm.at(-1)!) return none('beyond_range', `best fit at the ${best.z < 0 ? 'under' : 'over'}-focus end of the range (${(best.z / 1000).toFixed(1)} um) or the pixel size is off`, used.length, best.match);
  const rng = createRng(0x5eed);
  const draws: number[] = [];
  for (let b = 0; b < o.bootstrap; b++) draws.push(bestCandidate(scores, all.map(() => rng.int(all.length)), candidates).z);
  const opposite = draws.filter((z) => Math.sign(z) !== Math.sign(best.z)).length / draws.length;
  if (opposite > o.maxOppositeSign) return none('sign_ambiguous', `${Math.round(opposite * 100)} % of cavity resamples give the other focus sign`, used.length, best.match);
  const mean = draws.reduce((s, z) => s + z, 0) / draws.length;
  const sd = Math.sqrt(draws.reduce((s, z) => s + (z - mean) ** 2, 0) / draws.length);
  return { defocus_um: round(best.z / 1000), defocus_sigma_um: round(sd / 1000), method: 'fresnel_fringe', cavities: used.length, match: round(best.match) };
}

interface Usable { blob: Blob; rNm: number; bins: ProfileBins }

/**
 * The cavities worth fitting, best score first; the radius is snapped to a 10 % grid so the
 * model profiles are shared between cavities (and images) of about the same size.
 */
function usable(frame: Frame, blobs: readonly Blob[], o: DefocusOptions, pixelNm: number, kV: number): Usable[] {
  // The profile reaches past the void by the widest fringe of a 3 µm defocus, so every candidate's rim is inside it.
  const reachPx = 2.5 * fringeScaleNm(3000, kV) / pixelNm;
  const out: Usable[] = [];
  for (const b of [...blobs].sort((a, c) => c.score - a.score)) {
    if (out.length >= o.maxCavities) break;
    if (b.score < o.minScore || b.rPx < o.minRadiusPx || b.rPx > o.maxRadiusPx) continue;
    const rPx = Math.exp(Math.round(Math.log(b.rPx) / Math.log(1.1)) * Math.log(1.1));
    const rOut = 1.5 * rPx + reachPx;
    if (b.cx - rOut < 0 || b.cy - rOut < 0 || b.cx + rOut > frame.width || b.cy + rOut > frame.height) continue;
    out.push({ blob: b, rNm: rPx * pixelNm, bins: profileBins(rOut, Math.max(0.5, rOut / 60)) });
  }
  return out;
}

/** The candidate with the highest mean correlation over the cavities `idx`, refined by a parabola in log|z|. */
function bestCandidate(scores: number[][], idx: readonly number[], candidates: readonly number[]): { z: number; match: number } {
  const mean = candidates.map((_, j) => idx.reduce((s, i) => s + scores[i]![j]!, 0) / idx.length);
  let j = 0;
  for (let k = 1; k < mean.length; k++) if (mean[k]! > mean[j]!) j = k;
  const z = candidates[j]!;
  const l = j - 1, r = j + 1;
  // Refine only between neighbours of the same sign (the sign change is not a continuum).
  if (l < 0 || r >= candidates.length || Math.sign(candidates[l]!) !== Math.sign(z) || Math.sign(candidates[r]!) !== Math.sign(z)) return { z, match: mean[j]! };
  const a = Math.log(Math.abs(candidates[l]!)), b = Math.log(Math.abs(z)), c = Math.log(Math.abs(candidates[r]!));
  const fa = mean[l]!, fb = mean[j]!, fc = mean[r]!;
  const den = (b - a) * (fb - fc) - (b - c) * (fb - fa);
  if (den === 0) return { z, match: fb };
  const x = b - 0.5 * ((b - a) ** 2 * (fb - fc) - (b - c) ** 2 * (fb - fa)) / den;
  return { z: Math.sign(z) * Math.exp(Math.min(Math.max(a, c), Math.max(Math.min(a, c), x))), match: fb };
}

/** Centre and equivalent-circle radius of a detection: from its mask when it has one, else its box. */
export function blobOf(d: Detection): Blob {
  const m = d.mask;
  if (m) {
    let n = 0, sx = 0, sy = 0;
    for (let y = 0; y < m.height; y++) for (let x = 0; x < m.width; x++) if (m.data[y * m.width + x]) { n++; sx += x + 0.5; sy += y + 0.5; }
    if (n > 0) return { cx: m.x0 + sx / n, cy: m.y0 + sy / n, rPx: Math.sqrt(n / Math.PI), score: d.score };
  }
  const [x1, y1, x2, y2] = d.box;
  return { cx: (x1 + x2) / 2, cy: (y1 + y2) / 2, rPx: Math.sqrt(((x2 - x1) * (y2 - y1)) / Math.PI), score: d.score };
}

function none(reason: DefocusReason, detail: string, cavities: number, match: number | null = null): DefocusEstimate {
  return { defocus_um: null, defocus_sigma_um: null, method: 'fresnel_fringe', reason, detail, cavities, match: match === null ? null : round(match) };
}

function round(x: number): number { return Math.round(x * 1000) / 1000; }
