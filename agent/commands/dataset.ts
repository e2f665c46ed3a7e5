/**
 * `temguard dataset --images DIR --annotations COCO.json --out TABLE.csv [--group NAME]
 *  [--model FILE] [--confidence 0.1] [--iou 0.1] [--providers cpu] [--append] [--prefix STR] [--quiet]`:
 * runs the detector on labelled images, matches at IoU >= 0.1 and writes one row per image
 * (image, group, the 18 features, q_* image-quality extras, f1, precision, recall).
 * Group: --group, else the simulator's preset of each image, else "default".
 * --append adds rows to an existing table (same columns) instead of replacing it.
 * --prefix is put before each image name (e.g. the detector's name, when several detectors'
 * rows of the same images share one table).
 */
import { appendFile, readFile } from 'node:fs/promises';
import { PAPER_CONFIDENCE } from '../config/schema.js';
import { readCoco } from '../learn/coco.js';
import { EXTRA_COLUMNS, rowOf, runLabelled } from '../learn/dataset.js';
import { openDetectorDeps, parseProviders } from '../learn/detector-deps.js';
import { columnsFor, formatTable, writeTable } from '../learn/table.js';
import type { Row } from '../learn/train.js';
import { commandProgress, numberFlag, parseFlags, requireFlag, stringFlag, UsageError, type Command } from './command.js';

export const dataset: Command = async (argv, io) => {
  const { flags, positional } = parseFlags(argv, ['images', 'annotations', 'out', 'group', 'model', 'confidence', 'iou', 'providers', 'append', 'prefix', 'quiet'], ['append', 'quiet']);
  if (positional.length) throw new UsageError(`unexpected argument "${positional[0]}"`);
  const out = requireFlag(flags, 'out');
  const images = await readCoco(requireFlag(flags, 'annotations'), requireFlag(flags, 'images'));
  const group = stringFlag(flags, 'group');
  if (flags.append) await checkHeader(out);
  const { deps, detector, close } = await openDetectorDeps({
    model: stringFlag(flags, 'model'), confidence: numberFlag(flags, 'confidence', PAPER_CONFIDENCE), providers: parseProviders(stringFlag(flags, 'providers')),
  });
  const rows: Row[] = [];
  const t0 = performance.now();
  const progress = commandProgress(io, flags, { label: 'dataset', total: images.length, unit: 'images' });
  try {
    for await (const o of runLabelled(images, { ...deps, iou: numberFlag(flags, 'iou', 0.1) })) {
      const row = rowOf(o, group ?? (typeof o.image.meta.preset === 'string' ? o.image.meta.preset : 'default'));
      rows.push({ ...row, image: (stringFlag(flags, 'prefix') ?? '') + row.image });
      progress.tick();
    }
    progress.done();
  } finally {
    await close();
  }
  if (flags.append) await appendFile(out, formatTable(rows, EXTRA_COLUMNS).split('\n').slice(1).join('\n'));
  else await writeTable(out, rows, EXTRA_COLUMNS);
  const meanF1 = rows.reduce((s, r) => s + r.f1, 0) / Math.max(1, rows.length);
  io.stderr(`dataset: ${rows.length} images, mean F1 ${meanF1.toFixed(3)}, detector ${detector.model.name} (${detector.ep.active}), ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${out}`);
  return 0;
};

/** Appending is only safe onto a table with exactly our columns. */
async function checkHeader(path: string): Promise<void> {
  let first: string;
  try { first = (await readFile(path, 'utf8')).split('\n')[0]!; }
  catch { throw new UsageError(`--append: ${path} does not exist yet`); }
  if (first !== columnsFor(EXTRA_COLUMNS).join(',')) throw new UsageError(`--append: ${path} has other columns than this version writes`);
}
