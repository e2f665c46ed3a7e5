/**
 * Replaces a trained forest's out-of-bag conformal half-width with the one calibrated on
 * leave-one-group-out residuals (agent/learn/grouped-conformal.ts), which holds its coverage
 * on unseen groups; rewrites the model and its manifest (new sha256, the OOB width kept as
 * conformal_oob for the record). Needs the table the forest was trained on (group column).
 * --unseen PART.csv: rows of a group the forest is not trained on; their residuals join the quantile.
 * Usage: npx tsx models/recipes/forest/calibrate.ts --table TABLE.csv --forest MODEL.json [--unseen PART.csv] [--level 0.9]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readTable } from '../../../agent/learn/table.js';
import { groupedConformal } from '../../../agent/learn/grouped-conformal.js';
import { writeModel } from '../../../agent/learn/model-io.js';
import { loadForest, manifestPathFor, type ForestManifest, type ForestModelFile } from '../../../agent/pipeline/forest.js';

const { values: a } = parseArgs({ options: { table: { type: 'string' }, forest: { type: 'string' }, level: { type: 'string' }, unseen: { type: 'string', multiple: true } } });
if (!a.table || !a.forest) { console.error('usage: calibrate.ts --table TABLE.csv --forest MODEL.json [--unseen PART.csv] [--level 0.9]'); process.exit(2); }
await loadForest(a.forest, { threshold: 0.5 }); // refuses a model/manifest pair that does not belong together
const model = JSON.parse(await readFile(a.forest, 'utf8')) as ForestModelFile;
const manifest = JSON.parse(await readFile(manifestPathFor(a.forest), 'utf8')) as ForestManifest;
const { rows } = await readTable(a.table);
const unseen = (await Promise.all((a.unseen ?? []).map(async (f) => (await readTable(f)).rows))).flat();
const hp = (manifest.hyperparameters ?? {}) as { nTrees?: number; minSamplesLeaf?: number; maxFeatures?: number };
const level = Number(a.level ?? model.conformal?.level ?? 0.9);
const conformal = groupedConformal(rows, model.features, level, { ...(hp.nTrees ? { nTrees: hp.nTrees } : {}), ...(hp.minSamplesLeaf ? { minSamplesLeaf: hp.minSamplesLeaf } : {}), ...(hp.maxFeatures ? { maxFeatures: hp.maxFeatures } : {}) }, unseen);
const oob = manifest.conformal_oob ?? model.conformal;
await writeModel(a.forest, { ...model, conformal }, { ...manifest, created: manifest.created, conformal_oob: oob });
console.error(`calibrate.ts: ${a.forest}: conformal half-width ${conformal.q.toFixed(4)} at ${level} (leave-one-group-out over ${new Set(rows.map((r) => r.group)).size} groups, + ${unseen.length} unseen rows; out-of-bag was ${(oob as { q?: number } | undefined)?.q?.toFixed(4) ?? 'none'})`);
