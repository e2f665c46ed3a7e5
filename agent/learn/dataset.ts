/**
 * Labelled images -> what the detector did on each: detections, ground-truth match (IoU
 * >= 0.1, match.ts), the 18 features and the image-quality extras. Used by `score` (counts
 * only) and `dataset` (one table row per image). Decoding and detection are injected so
 * the same loop runs with the real detector in the commands and in tests.
 */
import type { Detection, Frame } from '../types.js';
import { computeFeatures } from '../pipeline/features.js';
import type { LabelledImage } from './coco.js';
import { matchImage, scoreCounts, type MatchResult } from './match.js';
import { imageQuality, QUALITY_NAMES } from './quality.js';
import type { Row } from './train.js';

export interface DatasetDeps {
  decode(path: string): Promise<Frame>;
  detect(frame: Frame): Promise<Detection[]>;
  iou?: number;
}

export interface Outcome {
  image: LabelledImage;
  frame: Frame;
  detections: Detection[];
  match: MatchResult;
}

/** Runs decode + detect + match on each image in order (one at a time: the detector is the bottleneck). */
export async function* runLabelled(images: readonly LabelledImage[], deps: DatasetDeps): AsyncGenerator<Outcome> {
  for (const image of images) {
    let frame: Frame;
    try { frame = await deps.decode(image.path); }
    catch (e) { throw new Error(`${image.file}: ${(e as Error).message}`); }
    const detections = await deps.detect(frame);
    yield { image, frame, detections, match: matchImage(image.truth, detections.map((d) => d.box), deps.iou ?? 0.1) };
  }
}

/** One table row: 18 features + quality extras + the true scores. */
export function rowOf(o: Outcome, group: string): Row {
  const features: Record<string, number> = { ...computeFeatures(o.detections, o.frame.width, o.frame.height), ...imageQuality(o.frame) };
  return { image: o.image.file, group, features, f1: o.match.f1, precision: o.match.precision, recall: o.match.recall };
}

export const EXTRA_COLUMNS: readonly string[] = QUALITY_NAMES;

/** Micro-average over all images: summed TP/FP/FN, then P/R/F1 (matches COCO-style totals). */
export function microAverage(results: readonly MatchResult[]): MatchResult {
  let tp = 0, fp = 0, fn = 0;
  for (const r of results) { tp += r.tp; fp += r.fp; fn += r.fn; }
  return scoreCounts(tp, fp, fn);
}
