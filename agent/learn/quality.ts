/**
 * Image-quality features the paper did not use, to test (evaluate.ts) whether they help
 * predict F1 under shift, recall especially (a missed cavity leaves no trace in the
 * detections, but a noisy or defocused image does leave one in the pixels). All are
 * dimensionless, so 8-bit, 16-bit and float frames give comparable values.
 * - q_snr: image std / noise std, noise by Immerkaer's Laplacian-difference estimator
 *   (J. Immerkaer, CVIU 64, 1996), robust to image structure.
 * - q_sharpness: variance of the 4-neighbour Laplacian / image variance (drops with defocus blur).
 * - q_skew: skewness of the intensities; its sign tells bright-on-dark from dark-on-bright
 *   contrast (under- vs over-focused cavities).
 */
import { immerkaerNoise } from '../pipeline/image-stats.js';
import type { Frame } from '../types.js';

export const QUALITY_NAMES = ['q_snr', 'q_sharpness', 'q_skew'] as const;
export type QualityName = (typeof QUALITY_NAMES)[number];

export function imageQuality(frame: Frame): Record<QualityName, number> {
  const { width: w, height: h, data } = frame;
  const n = w * h;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += data[i]!;
  mean /= n;
  let m2 = 0, m3 = 0;
  for (let i = 0; i < n; i++) { const d = data[i]! - mean; m2 += d * d; m3 += d * d * d; }
  const variance = m2 / n;
  const sd = Math.sqrt(variance);
  if (w < 3 || h < 3 || !(sd > 0)) return { q_snr: 0, q_sharpness: 0, q_skew: 0 };
  let lapSum = 0, lapSq = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const lap = data[i - w]! + data[i + w]! + data[i - 1]! + data[i + 1]! - 4 * data[i]!;
      lapSum += lap; lapSq += lap * lap;
    }
  }
  const inner = (w - 2) * (h - 2);
  const noise = immerkaerNoise(data, w, h);
  const lapMean = lapSum / inner;
  return {
    q_snr: noise > 0 ? Math.min(1e3, sd / noise) : 1e3,
    q_sharpness: (lapSq / inner - lapMean * lapMean) / variance,
    q_skew: m3 / n / (variance * sd),
  };
}
