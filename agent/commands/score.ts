/**
 * `temguard score --images DIR --annotations COCO.json [--model FILE] [--confidence 0.1]
 *  [--iou 0.1] [--providers cpu] [--quiet]`: runs the detector on labelled images and prints one JSON
 * line per image {image, precision, recall, f1, tp, fp, fn}, then
 * {"summary":{precision, recall, f1, tp, fp, fn, images, mean_f1, averaging}}. The summary
 * is micro-averaged (TP, FP, FN summed over images, then P/R/F1); mean_f1 is the mean of
 * the per-image F1s, the quantity the forest predicts.
 */
import { readCoco } from '../learn/coco.js';
import { microAverage, runLabelled } from '../learn/dataset.js';
import { openDetectorDeps, parseProviders } from '../learn/detector-deps.js';
import type { MatchResult } from '../learn/match.js';
import { commandProgress, numberFlag, parseFlags, requireFlag, stringFlag, UsageError, type Command } from './command.js';

export const score: Command = async (argv, io) => {
  const { flags, positional } = parseFlags(argv, ['images', 'annotations', 'model', 'confidence', 'iou', 'providers', 'quiet'], ['quiet']);
  if (positional.length) throw new UsageError(`unexpected argument "${positional[0]}"`);
  const images = await readCoco(requireFlag(flags, 'annotations'), requireFlag(flags, 'images'));
  const iou = numberFlag(flags, 'iou', 0.1);
  const { deps, close } = await openDetectorDeps({
    model: stringFlag(flags, 'model'), confidence: numberFlag(flags, 'confidence', 0.1), providers: parseProviders(stringFlag(flags, 'providers')),
  });
  try {
    const all: MatchResult[] = [];
    const progress = commandProgress(io, flags, { label: 'score', total: images.length, unit: 'images' });
    for await (const o of runLabelled(images, { ...deps, iou })) {
      all.push(o.match);
      const { tp, fp, fn, precision, recall, f1 } = o.match;
      io.stdout(JSON.stringify({ image: o.image.file, precision, recall, f1, tp, fp, fn }));
      progress.tick();
    }
    progress.done();
    const s = microAverage(all);
    const meanF1 = all.length ? all.reduce((a, r) => a + r.f1, 0) / all.length : 0;
    io.stdout(JSON.stringify({ summary: { precision: s.precision, recall: s.recall, f1: s.f1, tp: s.tp, fp: s.fp, fn: s.fn, images: all.length, mean_f1: meanF1, averaging: 'micro (TP/FP/FN summed over images)' } }));
    return 0;
  } finally {
    await close();
  }
};
