/**
 * Greedy non-maximum suppression, per class unless `agnostic` (as Ultralytics' default and
 * torchvision's batched_nms): keep the best-scoring box, drop the rest of its class that
 * overlap it by more than `iou`, repeat; at most `maxDet` boxes.
 */
import type { Box } from '../types.js';

export interface Candidate { box: Box; score: number; label: number; index: number }

export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

export function nms(cands: Candidate[], iouThreshold: number, maxDet: number, agnostic = false): Candidate[] {
  const sorted = [...cands].sort((a, b) => b.score - a.score);
  const keep: Candidate[] = [];
  const removed = new Uint8Array(sorted.length);
  for (let i = 0; i < sorted.length && keep.length < maxDet; i++) {
    if (removed[i]) continue;
    const c = sorted[i]!;
    keep.push(c);
    for (let j = i + 1; j < sorted.length; j++) {
      if (removed[j]) continue;
      const o = sorted[j]!;
      if ((agnostic || o.label === c.label) && iou(c.box, o.box) > iouThreshold) removed[j] = 1;
    }
  }
  return keep;
}
