/**
 * Domain classification as the paper reads its forest: an image is "good" when its F1 is
 * >= a threshold. From true and predicted F1: precision/recall of flagging good images as
 * the predicted-F1 cut moves (the PR curve at true threshold 0.5), and classification
 * metrics when true and predicted F1 are cut at the same threshold 0.1..0.9.
 */
export interface ClassMetrics {
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
}

export function classifyAt(truth: ArrayLike<number>, pred: ArrayLike<number>, trueCut: number, predCut: number): ClassMetrics {
  let tp = 0, fp = 0, fn = 0, tn = 0;
  for (let i = 0; i < truth.length; i++) {
    const t = truth[i]! >= trueCut, p = pred[i]! >= predCut;
    if (t && p) tp++; else if (p) fp++; else if (t) fn++; else tn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : NaN;
  const recall = tp + fn ? tp / (tp + fn) : NaN;
  return { threshold: predCut, precision, recall, f1: tp ? (2 * tp) / (2 * tp + fp + fn) : 0, accuracy: (tp + tn) / Math.max(1, truth.length) };
}

/** PR curve of "true F1 >= trueCut" scored by predicted F1, with average precision. */
export function prCurve(truth: ArrayLike<number>, pred: ArrayLike<number>, trueCut: number): { points: Array<{ cut: number; precision: number; recall: number }>; averagePrecision: number } {
  const order = Array.from({ length: truth.length }, (_, i) => i).sort((a, b) => pred[b]! - pred[a]!);
  const positives = order.filter((i) => truth[i]! >= trueCut).length;
  const points: Array<{ cut: number; precision: number; recall: number }> = [];
  let tp = 0, ap = 0, prevRecall = 0;
  order.forEach((i, k) => {
    if (truth[i]! >= trueCut) tp++;
    const last = k === order.length - 1 || pred[order[k + 1]!]! !== pred[i]!;
    if (!last) return;
    const precision = tp / (k + 1), recall = positives ? tp / positives : 0;
    ap += (recall - prevRecall) * precision;
    prevRecall = recall;
    points.push({ cut: pred[i]!, precision, recall });
  });
  return { points, averagePrecision: ap };
}

/** Counts of (true bin, predicted bin) with equal-width bins on [0,1]. */
export function confusion(truth: ArrayLike<number>, pred: ArrayLike<number>, bins: number): number[][] {
  const m = Array.from({ length: bins }, () => new Array<number>(bins).fill(0));
  const bin = (v: number): number => Math.min(bins - 1, Math.max(0, Math.floor(v * bins)));
  for (let i = 0; i < truth.length; i++) m[bin(truth[i]!)]![bin(pred[i]!)]!++;
  return m;
}
