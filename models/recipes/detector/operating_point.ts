/**
 * Chooses a U-Net's operating point (instance threshold, smallest area, smallest score) from
 * the agent's own detect stage (tiles, pyramid) on labelled simulated sets and on real
 * cavity-free backgrounds, where every detection is false. Each model file is one threshold
 * (set_postprocess.py writes copies, with a small min_area so that larger ones can be cut
 * here); each image is detected once and every area/score cut is counted from that run.
 *
 *   npx tsx models/recipes/detector/operating_point.ts --models A.onnx,B.onnx \
 *       --sets DIR,DIR --backgrounds DIR [--areas 6,10,16] [--scores 0.1,0.5,0.7] [--out FILE.json]
 *
 * Prints one line per (model, set) with P/R/F1 (the paper's box IoU >= 0.1, pooled over the
 * set's images) or false detections per background image, for every cut.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { readCoco } from '../../../agent/learn/coco.js';
import { matchImage, scoreCounts } from '../../../agent/learn/match.js';
import { openDetectorDeps } from '../../../agent/learn/detector-deps.js';
import { areaOf } from '../../../agent/pipeline/features.js';
import type { Detection } from '../../../agent/types.js';

interface Cut { area: number; score: number }

const list = (s: string | undefined): string[] => (s ?? '').split(',').map((v) => v.trim()).filter(Boolean);

const kept = (ds: Detection[], c: Cut): Detection[] => ds.filter((d) => d.score >= c.score && areaOf(d) >= c.area);

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    models: { type: 'string' }, sets: { type: 'string' }, backgrounds: { type: 'string' },
    areas: { type: 'string', default: '6,10,16' }, scores: { type: 'string', default: '0.1,0.5,0.7' }, out: { type: 'string' },
  } });
  const cuts: Cut[] = list(values.areas).flatMap((a) => list(values.scores).map((s) => ({ area: Number(a), score: Number(s) })));
  const rows: Record<string, unknown>[] = [];
  for (const model of list(values.models)) {
    const { deps, close } = await openDetectorDeps({ model, confidence: 0, providers: ['cpu'] });
    try {
      for (const dir of list(values.sets)) {
        const images = await readCoco(join(dir, 'annotations.json'), dir);
        const counts = cuts.map(() => ({ tp: 0, fp: 0, fn: 0 }));
        for (const im of images) {
          const ds = await deps.detect(await deps.decode(im.path));
          cuts.forEach((c, i) => {
            const m = matchImage(im.truth, kept(ds, c).map((d) => d.box), 0.1);
            counts[i]!.tp += m.tp; counts[i]!.fp += m.fp; counts[i]!.fn += m.fn;
          });
        }
        cuts.forEach((c, i) => {
          const m = scoreCounts(counts[i]!.tp, counts[i]!.fp, counts[i]!.fn);
          rows.push({ model: basename(model), set: basename(dir), ...c, precision: m.precision, recall: m.recall, f1: m.f1 });
        });
        console.log(`${basename(model)} ${basename(dir)}: ` + cuts.map((c, i) => {
          const m = scoreCounts(counts[i]!.tp, counts[i]!.fp, counts[i]!.fn);
          return `a${c.area}/s${c.score} F1 ${m.f1.toFixed(3)} (P ${m.precision.toFixed(2)} R ${m.recall.toFixed(2)})`;
        }).join(' | '));
      }
      for (const dir of list(values.backgrounds)) {
        const files = readdirSync(dir).filter((n) => /\.(png|jpe?g|tiff?)$/i.test(n)).sort();
        const fp = cuts.map(() => 0);
        for (const f of files) {
          const ds = await deps.detect(await deps.decode(join(dir, f)));
          cuts.forEach((c, i) => { fp[i]! += kept(ds, c).length; });
        }
        cuts.forEach((c, i) => rows.push({ model: basename(model), set: basename(dir), ...c, false_per_image: fp[i]! / files.length }));
        console.log(`${basename(model)} ${basename(dir)} (${files.length} backgrounds): ` + cuts.map((c, i) => `a${c.area}/s${c.score} ${fp[i]} false`).join(' | '));
      }
    } finally { await close(); }
  }
  if (values.out) writeFileSync(values.out, JSON.stringify(rows, null, 1) + '\n');
}

main().catch((err) => { console.error(`operating_point: ${(err as Error).message}`); process.exitCode = 1; });
