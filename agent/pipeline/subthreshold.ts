/**
 * Sub-threshold evidence for recall. Missed objects leave no trace in the detections, but a
 * U-Net's probability map often still holds them as blobs that never reached the detection
 * threshold. Computed on the full-scale map the detector already made (no extra inference):
 * components of prob >= `low` that hold no detection, their count, area and mean probability,
 * and the share of the map's probability mass (at >= low) that lies outside the detections.
 */
import { componentsToDetections } from '../adapters/components.js';
import type { Detection } from '../types.js';
import { areaOf } from './features.js';

export const SUBTHRESHOLD_NAMES = ['sub_counts', 'sub_ratio', 'sub_area', 'sub_conf', 'sub_mass'] as const;
export type SubthresholdName = (typeof SUBTHRESHOLD_NAMES)[number];
export type Subthreshold = Record<SubthresholdName, number>;

export const ZERO_SUBTHRESHOLD: Readonly<Subthreshold> = { sub_counts: 0, sub_ratio: 0, sub_area: 0, sub_conf: 0, sub_mass: 0 };

/** `found`: the components at the detection threshold on this same map (same coordinates). */
export function subthresholdSummary(prob: Float32Array, width: number, height: number, rowStride: number, found: readonly Detection[], o: { low?: number; minArea: number }): Subthreshold {
  const low = componentsToDetections(prob, width, height, rowStride, { threshold: o.low ?? 0.1, minArea: o.minArea });
  // A low component holds a detection iff it contains that detection's centre (low components are supersets).
  const centres = found.map((d) => [(d.box[0] + d.box[2]) / 2, (d.box[1] + d.box[3]) / 2] as const);
  let n = 0, area = 0, conf = 0, massAll = 0;
  for (const c of low) {
    const a = areaOf(c);
    massAll += c.score * a;
    const holds = centres.some(([x, y]) => x >= c.box[0] && x <= c.box[2] && y >= c.box[1] && y <= c.box[3]);
    if (holds) continue;
    n++; area += a; conf += c.score;
  }
  const foundMass = found.reduce((s, d) => s + d.score * areaOf(d), 0);
  const outside = massAll > 0 ? Math.max(0, Math.min(1, 1 - foundMass / massAll)) : 0;
  return { sub_counts: n, sub_ratio: n + found.length ? n / (n + found.length) : 0, sub_area: area / (width * height), sub_conf: n ? conf / n : 0, sub_mass: outside };
}
