/**
 * Adds the applicability-domain reference (agent/pipeline/domain.ts) to a trained forest's
 * manifest: the training table's rows on the forest's features. Only the manifest changes
 * (the model file and so its sha256 stay), so it can run after `temguard train` in build.sh
 * or on a shipped model whose table is at hand.
 * Usage: npx tsx models/recipes/forest/domain.ts --table TABLE.csv --forest MODEL.json [--k 5] [--cut 99]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readTable } from '../../../agent/learn/table.js';
import { buildDomainReference, domainChecker } from '../../../agent/pipeline/domain.js';
import { loadForest, manifestPathFor, type ForestManifest } from '../../../agent/pipeline/forest.js';

const { values: a } = parseArgs({ options: { table: { type: 'string' }, forest: { type: 'string' }, k: { type: 'string' }, cut: { type: 'string' } } });
if (!a.table || !a.forest) { console.error('usage: domain.ts --table TABLE.csv --forest MODEL.json [--k 5] [--cut 99]'); process.exit(2); }
const forest = await loadForest(a.forest, { threshold: 0.5 });
const { rows } = await readTable(a.table);
const missing = forest.features.filter((f) => !(f in rows[0]!.features));
if (missing.length) { console.error(`domain.ts: table ${a.table} lacks the forest's features ${missing.join(', ')}`); process.exit(1); }
const ref = buildDomainReference(rows.map((r) => r.features), forest.features, { k: Number(a.k ?? 5), cutPercentile: Number(a.cut ?? 99) });
domainChecker(ref); // refuses a reference the agent could not read
const path = manifestPathFor(a.forest);
const manifest = JSON.parse(await readFile(path, 'utf8')) as ForestManifest;
manifest.domain = ref;
await writeFile(path, JSON.stringify(manifest, null, 1) + '\n');
console.error(`domain.ts: ${path}: reference of ${ref.train_distances.length} rows x ${ref.features.length} features, k ${ref.k}, cut ${ref.cut.toFixed(3)} (training percentile ${ref.cut_percentile})`);
