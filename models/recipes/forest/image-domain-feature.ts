/**
 * Exploratory: the image-domain distance (image-domain.ts, the shipped forest's reference) of every
 * training-table row's simulated image and of each natural photograph (with its detector
 * features), as CSV, for image_domain_feature.py to test the distance as a forest feature.
 * Usage: npx tsx models/recipes/forest/image-domain-feature.ts --table docs/forest/table.csv --sim DIR --natural DIR --out FILE.csv
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readTable } from '../../../agent/learn/table.js';
import { loadForest } from '../../../agent/pipeline/forest.js';
import { imageDomainChecker } from '../../../agent/pipeline/image-domain.js';
import { decodeFile } from '../../../agent/pipeline/decode.js';
import { computeFeatures } from '../../../agent/pipeline/features.js';
import { openDetectorDeps } from '../../../agent/learn/detector-deps.js';

const { values: a } = parseArgs({ options: { table: { type: 'string' }, sim: { type: 'string' }, natural: { type: 'string' }, out: { type: 'string' } } });
if (!a.table || !a.sim || !a.natural || !a.out) { console.error('usage: image-domain-feature.ts --table T.csv --sim DIR --natural DIR --out FILE.csv'); process.exit(2); }
const forest = await loadForest('models/forest-default.json', { threshold: 0.5 });
const check = imageDomainChecker(forest.manifest.image_domain!);
const { rows } = await readTable(a.table);
const cache = new Map<string, number>();
const lines = ['image,group,' + forest.features.join(',') + ',image_distance,f1'];
for (const r of rows) {
  const [, preset, file] = r.image.split('/'); // DETECTOR/PRESET/FILE
  const key = `${preset}/${file}`;
  if (!cache.has(key)) cache.set(key, check(await decodeFile(join(a.sim, preset!, file!)))!.distance);
  lines.push([r.image, r.group, ...forest.features.map((f) => r.features[f]), cache.get(key), r.f1].join(','));
}
const det = await openDetectorDeps({});
for (const f of readdirSync(a.natural).sort()) {
  const frame = await decodeFile(join(a.natural, f));
  const x = computeFeatures(await det.deps.detect(frame), frame.width, frame.height);
  lines.push([`natural/${f}`, 'natural', ...forest.features.map((n) => x[n]), check(frame)!.distance, ''].join(','));
}
await det.close();
writeFileSync(a.out, lines.join('\n') + '\n');
console.error(`image-domain-feature.ts: ${lines.length - 1} rows to ${a.out}`);
