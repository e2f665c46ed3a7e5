/**
 * Does another forest setting close the grouped gap? Leave-one-group-out F1 MAE/R2 of the shipped
 * model's features for a small grid of min_samples_leaf x max_features (same folds as evaluate).
 * Usage: npx tsx models/recipes/forest/hyper.ts --table T.csv --forest MODEL.json
 */
import { parseArgs } from 'node:util';
import { readTable } from '../../../agent/learn/table.js';
import { crossValidate, groupFolds } from '../../../agent/learn/cv.js';
import { loadForest } from '../../../agent/pipeline/forest.js';

const { values: a } = parseArgs({ options: { table: { type: 'string' }, forest: { type: 'string' } } });
if (!a.table || !a.forest) { console.error('usage: hyper.ts --table T.csv --forest MODEL.json'); process.exit(2); }
const { rows } = await readTable(a.table);
const features = (await loadForest(a.forest, { threshold: 0.5 })).features;
const folds = groupFolds(rows.map((r) => r.group));
for (const maxFeatures of [1, 0.33]) {
  for (const minSamplesLeaf of [3, 10, 30]) {
    const r = crossValidate(rows, folds, features, 'f1', { minSamplesLeaf, maxFeatures });
    console.log(`min_leaf ${minSamplesLeaf} max_features ${maxFeatures}: grouped F1 MAE ${r.mean.mae.toFixed(4)}, R2 ${r.mean.r2.toFixed(3)}`);
  }
}
