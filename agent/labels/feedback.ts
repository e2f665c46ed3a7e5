/**
 * What one labelled image says about the detector and about the prediction: the realized
 * precision/recall/F1 of the detections against the operator's ground truth (the paper's
 * rule, agent/learn/match.ts: greedy box IoU >= 0.1), and the prediction's error
 * (predicted - realized: positive = the forest was too optimistic).
 */
import { matchImage } from '../learn/match.js';
import { truthBoxes, type LabelRecord } from './store.js';

/** The paper's matching threshold (box IoU), the one the forest's training targets used. */
export const MATCH_IOU = 0.1;

export interface FeedbackBody {
  image: { sha256: string; rel: string };
  labelled_at: string;
  labels: { truth: number; detections: number; wrong: number; added: number };
  realized: { tp: number; fp: number; fn: number; precision: number; recall: number; f1: number };
  predicted: { f1: number; precision: number; recall: number; lo: number | null; hi: number | null };
  /** predicted - realized. */
  error: { f1: number; precision: number; recall: number };
  /** The realized F1 lies within the published interval (null without one). */
  in_interval: boolean | null;
  /** Labelled images so far, this one included. */
  labelled_images: number;
}

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

export function feedbackFor(r: LabelRecord, labelledImages: number): FeedbackBody {
  const m = matchImage(truthBoxes(r), r.detections, MATCH_IOU);
  const p = r.predicted;
  return {
    image: { sha256: r.sha256, rel: r.rel },
    labelled_at: r.labelled_at,
    labels: { truth: truthBoxes(r).length, detections: r.detections.length, wrong: r.wrong.length, added: r.added.length },
    realized: { tp: m.tp, fp: m.fp, fn: m.fn, precision: r4(m.precision), recall: r4(m.recall), f1: r4(m.f1) },
    predicted: p,
    error: { f1: r4(p.f1 - m.f1), precision: r4(p.precision - m.precision), recall: r4(p.recall - m.recall) },
    in_interval: p.lo !== null && p.hi !== null ? m.f1 >= p.lo && m.f1 <= p.hi : null,
    labelled_images: labelledImages,
  };
}
