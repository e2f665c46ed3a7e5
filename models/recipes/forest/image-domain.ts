/**
 * Adds the image-statistics domain reference (agent/pipeline/image-domain.ts) to forest
 * manifests: the pixel statistics of real, label-free micrographs (image-domain-sets.ts). Only
 * the manifest changes (the model file and its sha256 stay), as domain.ts does.
 * Usage: npx tsx models/recipes/forest/image-domain.ts --forest MODEL.json [--forest M2.json] [--data ../shared/data] [--k 5] [--cut 99]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildDomainReference } from '../../../agent/pipeline/domain.js';
import { imageDomainChecker, type ImageDomainReference } from '../../../agent/pipeline/image-domain.js';
import { IMAGE_STAT_NAMES } from '../../../agent/pipeline/image-stats.js';
import { manifestPathFor, type ForestManifest } from '../../../agent/pipeline/forest.js';
import { realSets, statsOf } from './image-domain-sets.js';

const { values: a } = parseArgs({ options: { forest: { type: 'string', multiple: true }, data: { type: 'string' }, k: { type: 'string' }, cut: { type: 'string' } } });
if (!a.forest?.length) { console.error('usage: image-domain.ts --forest MODEL.json [--forest ...] [--data ../shared/data] [--k 5] [--cut 99]'); process.exit(2); }
const data = a.data ?? '../shared/data';
if (!existsSync(data)) { console.error(`image-domain.ts: no real data at ${data}; image reference not built`); process.exit(1); }
const { reference } = realSets(data);
const rows: Array<Record<string, number>> = [];
const sources: Record<string, number> = {};
for (const [name, paths] of Object.entries(reference)) {
  const stats = await statsOf(paths);
  sources[name] = stats.length;
  rows.push(...stats.map((s) => s.stats));
}
const ref: ImageDomainReference = { ...buildDomainReference(rows, IMAGE_STAT_NAMES, { k: Number(a.k ?? 5), cutPercentile: Number(a.cut ?? 99) }), sources };
imageDomainChecker(ref); // refuses a reference the agent could not read
for (const forest of a.forest) {
  const path = manifestPathFor(forest);
  const text = await readFile(path, 'utf8');
  const manifest = JSON.parse(text) as ForestManifest;
  manifest.image_domain = ref;
  // Keep the file's own indentation (train.ts and the loops recipe differ), so the diff is the block.
  await writeFile(path, JSON.stringify(manifest, null, /^\{\n( +)"/.exec(text)?.[1]?.length ?? 1) + '\n');
  console.error(`image-domain.ts: ${path}: image reference of ${rows.length} real images (${Object.entries(sources).map(([k, v]) => `${k} ${v}`).join(', ')}) x ${ref.features.length} statistics, k ${ref.k}, cut ${ref.cut.toFixed(3)} (percentile ${ref.cut_percentile})`);
}
