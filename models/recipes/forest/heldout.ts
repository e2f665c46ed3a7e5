/**
 * The shipped forest on a labelled table it was not trained on (e.g. crops of the held-out real
 * cavity-free backgrounds, build.sh): per-image predicted against true F1, MAE, and how many
 * the interval covers, as JSON, so the forest's error on real images is measured, not assumed.
 *
 *   npx tsx models/recipes/forest/heldout.ts --forest models/forest-default.json --table PART.csv --out FILE.json
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { regressionMetrics } from '../../../agent/learn/metrics.js';
import { readTable } from '../../../agent/learn/table.js';
import { loadForest } from '../../../agent/pipeline/forest.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { forest: { type: 'string' }, table: { type: 'string' }, out: { type: 'string' } } });
  if (!values.forest || !values.table || !values.out) throw new Error('--forest, --table and --out are required');
  const forest = await loadForest(values.forest, { threshold: 0.5 });
  const { rows } = await readTable(values.table);
  const images = rows.map((r) => {
    const p = forest.predict(r.features);
    const { lo, hi } = p.interval ?? { lo: p.f1, hi: p.f1 };
    return { image: r.image, detections: r.features.counts, true_f1: r.f1, predicted_f1: Number(p.f1.toFixed(4)), covered: lo <= r.f1 && r.f1 <= hi };
  });
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const { mae } = regressionMetrics(images.map((i) => i.true_f1), images.map((i) => i.predicted_f1));
  const summary = {
    table: values.table, forest: values.forest, forest_sha256: forest.sha256, images: images.length,
    mae: Number(mae.toFixed(4)),
    mean_true: Number(mean(images.map((i) => i.true_f1)).toFixed(4)),
    mean_predicted: Number(mean(images.map((i) => i.predicted_f1)).toFixed(4)),
    interval_coverage: Number(mean(images.map((i) => (i.covered ? 1 : 0))).toFixed(4)),
  };
  writeFileSync(values.out, JSON.stringify({ ...summary, per_image: images }, null, 1) + '\n');
  console.log(`heldout: ${summary.images} images, F1 MAE ${summary.mae} (mean true ${summary.mean_true}, predicted ${summary.mean_predicted}), interval coverage ${summary.interval_coverage} -> ${values.out}`);
}

main().catch((err) => { console.error(`heldout: ${(err as Error).message}`); process.exitCode = 1; });
