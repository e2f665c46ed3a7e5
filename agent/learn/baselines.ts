/**
 * The baselines the forest must beat, fitted on the training rows of a fold only:
 * - mean: predict the training mean F1 for every image;
 * - linear on mean confidence: least squares y = a + b * avg_conf;
 * - ATC (Average Thresholded Confidence, Garg et al. 2022), per image: on the training rows
 *   find the score threshold t at which the mean, over images, of "fraction of the image's
 *   detections scoring >= t" equals the mean true value; predict that fraction for a new
 *   image. The table holds the score histogram (counts_0.1..0.9, 0.1 wide), so the fraction
 *   above t is read from it with linear interpolation inside a bin.
 */
import type { Target } from '../pipeline/forest.js';
import type { Row } from './train.js';

export type Baseline = (train: readonly Row[], target: Target) => (row: Row) => number;

export const meanBaseline: Baseline = (train, target) => {
  const m = train.reduce((s, r) => s + r[target], 0) / train.length;
  return () => m;
};

export const linearConfidenceBaseline: Baseline = (train, target) => {
  const xs = train.map((r) => r.features.avg_conf!);
  const ys = train.map((r) => r[target]);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length, my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0, sxx = 0;
  xs.forEach((x, i) => { sxy += (x - mx) * (ys[i]! - my); sxx += (x - mx) ** 2; });
  const b = sxx > 0 ? sxy / sxx : 0;
  return (r) => Math.min(1, Math.max(0, my + b * (r.features.avg_conf! - mx)));
};

/** Fraction of an image's detections scoring >= t, from its 0.1-wide score histogram. */
export function fractionAbove(r: Row, t: number): number {
  let f = 0;
  for (let b = 1; b <= 9; b++) {
    const lo = b / 10, hi = b === 9 ? 1 : (b + 1) / 10;
    const share = r.features[`counts_0.${b}`] ?? 0;
    if (t <= lo) f += share;
    else if (t < hi) f += share * (hi - t) / (hi - lo);
  }
  return f;
}

export const atcBaseline: Baseline = (train, target) => {
  const goal = train.reduce((s, r) => s + r[target], 0) / train.length;
  // mean fraction above t falls as t rises: bisection for the t that matches the goal.
  let lo = 0.1, hi = 1;
  const meanAt = (t: number): number => train.reduce((s, r) => s + fractionAbove(r, t), 0) / train.length;
  for (let i = 0; i < 40; i++) { const mid = (lo + hi) / 2; if (meanAt(mid) > goal) lo = mid; else hi = mid; }
  const t = (lo + hi) / 2;
  return (r) => fractionAbove(r, t);
};

export const BASELINES: Record<string, Baseline> = { mean: meanBaseline, linear_avg_conf: linearConfidenceBaseline, atc: atcBaseline };
