/**
 * Ground-truth matching of one image, as paper-method.md describes the paper's labels:
 * for each ground-truth box in turn, the not-yet-used predicted box with the highest box
 * IoU is a true positive when that IoU >= the threshold (0.1 in the paper). Greedy, one
 * prediction per truth. TP = matches, FP = predictions - TP, FN = truths - TP,
 * F1 = 2TP / (2TP + FP + FN).
 *
 * Truth order: "sorted" in the paper; here truths are visited in reading order (y1, then
 * x1, then the rest of the box) so the result does not depend on how an annotation file
 * happens to list them. Ties in IoU go to the earliest prediction.
 *
 * Corner cases (decided so that the forest's target means "how right was the detector"):
 * - no truths and no predictions: P = R = F1 = 1. Nothing to find and nothing claimed is a
 *   perfect answer (an empty specimen area correctly left empty must not look like a failure).
 * - truths but no predictions: P = R = F1 = 0 (everything missed; precision 0/0 is taken
 *   as 0 so that all three agree the image failed, like scikit-learn's zero_division=0).
 * - predictions but no truths: P = R = F1 = 0 (every detection is a false alarm; recall 0/0
 *   likewise taken as 0).
 */
import type { Box } from '../types.js';

export interface MatchResult {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
}

/** IoU of two [x1,y1,x2,y2] boxes (x2,y2 exclusive); 0 when the union is empty. */
export function boxIoU(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  const inter = iw > 0 && ih > 0 ? iw * ih : 0;
  const area = (r: Box): number => Math.max(0, r[2] - r[0]) * Math.max(0, r[3] - r[1]);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

export function matchImage(truth: Box[], predicted: Box[], iou = 0.1): MatchResult {
  const order = [...truth].sort((a, b) => a[1] - b[1] || a[0] - b[0] || a[3] - b[3] || a[2] - b[2]);
  const used = new Uint8Array(predicted.length);
  let tp = 0;
  for (const t of order) {
    let best = -1;
    let bestIoU = -1;
    for (let j = 0; j < predicted.length; j++) {
      if (used[j]) continue;
      const v = boxIoU(t, predicted[j]!);
      if (v > bestIoU) { bestIoU = v; best = j; }
    }
    if (best >= 0 && bestIoU >= iou) { used[best] = 1; tp++; }
  }
  return scoreCounts(tp, predicted.length - tp, truth.length - tp);
}

/** Precision, recall and F1 from counts, with the corner cases documented above. */
export function scoreCounts(tp: number, fp: number, fn: number): MatchResult {
  if (tp + fp + fn === 0) return { tp, fp, fn, precision: 1, recall: 1, f1: 1 };
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  const f1 = (2 * tp) / (2 * tp + fp + fn);
  return { tp, fp, fn, precision, recall, f1 };
}
