/**
 * Which reference features would flag natural photographs? The domain check (agent/pipeline/
 * domain.ts, cut at the 99th training percentile) with the forest's features, plus the
 * sub-threshold columns (evidence.sh's CSV) and/or the q_* image statistics, on a folder of
 * natural images run through the default detector. Exploratory: prints one line per variant.
 * Usage: npx tsx models/recipes/forest/domain-natural.ts --table T.csv --evidence E.csv --natural DIR
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readdirSync, readFileSync } from 'node:fs';
import { readTable, parseCsv } from '../../../agent/learn/table.js';
import { buildDomainReference, domainChecker } from '../../../agent/pipeline/domain.js';
import { createDetector, DEFAULT_MODEL_PATH } from '../../../agent/pipeline/detect.js';
import { decodeFile } from '../../../agent/pipeline/decode.js';
import { computeFeatures } from '../../../agent/pipeline/features.js';
import { imageQuality } from '../../../agent/learn/quality.js';
import { detectorOptions } from '../../../agent/config/derived.js';
import { loadConfig } from '../../../agent/config/load.js';
import { silentLogger } from '../../../agent/log.js';
const { values: a } = parseArgs({ options: { table: { type: 'string' }, evidence: { type: 'string' }, natural: { type: 'string' } } });
if (!a.table || !a.evidence || !a.natural) { console.error('usage: domain-natural.ts --table T.csv --evidence E.csv --natural DIR'); process.exit(2); }
const { rows } = await readTable(a.table);
const [h, ...b] = parseCsv(readFileSync(a.evidence!, 'utf8'));
const ev = new Map(b.map((r) => [r[0], Object.fromEntries(h!.slice(1).map((c, j) => [c, Number(r[j + 1])]))]));
const train = rows.map((r) => ({ ...r.features, ...ev.get(r.image)! }));
const base = ['counts_0.9', 'avg_conf', 'avg_shape', 'counts', 'avg_size', 'area_ratio', 'std_size', 'image_confidence', 'std_conf'];
const sub = ['sub_counts', 'sub_ratio', 'sub_area', 'sub_conf', 'sub_mass'];
const q = ['q_snr', 'q_sharpness', 'q_skew'];
const { dense } = detectorOptions(loadConfig({ env: process.env }));
const det = await createDetector({ modelPath: DEFAULT_MODEL_PATH, dense: { ...dense!, subthreshold: true }, confidence: 0.1 }, silentLogger);
const nat: Record<string, number>[] = [];
for (const f of readdirSync(a.natural!).sort()) { const fr = await decodeFile(join(a.natural!, f)); const r = await det.detect(fr); nat.push({ ...computeFeatures(r.detections, fr.width, fr.height), ...r.subthreshold!, ...imageQuality(fr) }); }
await det.close();
for (const [name, feats] of [['base', base], ['base+sub', [...base, ...sub]], ['base+sub+q', [...base, ...sub, ...q]], ['sub+q', [...sub, ...q]]] as const) {
  const c = domainChecker(buildDomainReference(train, feats));
  console.log(`${name}: natural photographs out of domain ${nat.filter((x) => !c(x).in_domain).length} of ${nat.length}`);
}
