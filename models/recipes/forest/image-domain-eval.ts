/**
 * Measures the image-statistics domain (image-domain.ts) as the forest manifest carries it:
 * share in domain of the real held-out images (real_split.json's held_out and
 * backgrounds_held_out, never in the reference), of each simulated preset, of the loops images
 * with their own series left out of the reference (leave-one-series-out), and of natural
 * photographs; then, with the default detector and the forest, the combined flag (features and
 * image) and the median predicted F1 of the natural photographs.
 * Usage: npx tsx models/recipes/forest/image-domain-eval.ts --forest MODEL.json --natural DIR [--sim DIR] [--every 4] [--data ../shared/data] [--out FILE.json]
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildDomainReference, domainChecker, type DomainReference } from '../../../agent/pipeline/domain.js';
import { IMAGE_STAT_NAMES, type ImageStats } from '../../../agent/pipeline/image-stats.js';
import { loadForest } from '../../../agent/pipeline/forest.js';
import { openDetectorDeps } from '../../../agent/learn/detector-deps.js';
import { decodeFile } from '../../../agent/pipeline/decode.js';
import { computeFeatures } from '../../../agent/pipeline/features.js';
import { parseCsv } from '../../../agent/learn/table.js';
import { realSets, statsOf } from './image-domain-sets.js';

const { values: a } = parseArgs({ options: { forest: { type: 'string' }, natural: { type: 'string' }, sim: { type: 'string' }, every: { type: 'string' }, data: { type: 'string' }, out: { type: 'string' } } });
if (!a.forest || !a.natural) { console.error('usage: image-domain-eval.ts --forest MODEL.json --natural DIR [--sim DIR] [--every 4] [--data ../shared/data] [--out FILE.json]'); process.exit(2); }
const data = a.data ?? '../shared/data';
const forest = await loadForest(a.forest, { threshold: 0.5 });
const ref = forest.manifest.image_domain;
if (!ref) { console.error(`image-domain-eval.ts: ${a.forest} has no image_domain; run image-domain.ts first`); process.exit(1); }
const check = domainChecker(ref);
const share = (xs: ReadonlyArray<{ stats: ImageStats }>, c = check): number => xs.filter((x) => c(x.stats).in_domain).length / Math.max(1, xs.length);
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const report: Record<string, unknown> = { forest: basename(a.forest), statistics: ref.features, reference: ref.sources, k: ref.k, cut_percentile: ref.cut_percentile };

const { heldOut, reference } = realSets(data);
const held: Record<string, number> = {};
for (const [name, paths] of Object.entries(heldOut)) held[name] = r3(share(await statsOf(paths)));
report.held_out_in_domain = held;
report.loops_leave_series_out_in_domain = r3(await loopsLeaveSeriesOut(reference, ref));
if (a.sim) {
  const sim: Record<string, number> = {};
  const every = Number(a.every ?? 4);
  for (const p of readdirSync(a.sim).sort()) {
    const files = readdirSync(join(a.sim, p)).filter((f) => f.endsWith('.png')).sort().filter((_, i) => i % every === 0);
    sim[p] = r3(share(await statsOf(files.map((f) => join(a.sim!, p, f)))));
  }
  report.sim_in_domain = sim;
}
const det = await openDetectorDeps({}); // what `temguard evaluate` runs: the daemon's detect settings
report.natural = existsSync(a.natural) ? await agentCheck(readdirSync(a.natural).sort().map((f) => join(a.natural!, f))) : { skipped: `no ${a.natural}` };
const realHeld = await agentCheck(Object.values(heldOut).flat());
realHeld.flagged_images = (realHeld.per_image as Array<Record<string, unknown>>).filter((i) => i.in_domain === false);
delete realHeld.per_image;
report.held_out_agent = realHeld;
await det.close();
console.log(JSON.stringify(report, null, 1));
if (a.out) writeFileSync(a.out, JSON.stringify(report, null, 1) + '\n');

/** Each loops series judged by a reference built without it (same k and cut percentile). */
async function loopsLeaveSeriesOut(sets: Record<string, string[]>, r: DomainReference): Promise<number> {
  const others = (await Promise.all(Object.entries(sets).filter(([k]) => k !== 'loops').map(([, p]) => statsOf(p)))).flat();
  const loops = await statsOf(sets.loops!);
  const [h, ...rows] = parseCsv(readFileSync(join(data, 'loops/series.csv'), 'utf8'));
  const col = h!.indexOf('series');
  const series = new Map(rows.map((row) => [row[0]!, row[col]!]));
  let inside = 0;
  for (const s of new Set(loops.map((l) => series.get(basename(l.path))))) {
    const train = [...others, ...loops.filter((l) => series.get(basename(l.path)) !== s)].map((x) => x.stats);
    const c = domainChecker(buildDomainReference(train, IMAGE_STAT_NAMES, { k: r.k, cutPercentile: r.cut_percentile }));
    inside += loops.filter((l) => series.get(basename(l.path)) === s && c(l.stats).in_domain).length;
  }
  return inside / loops.length;
}

/** The agent's own path on each image: decode, detect, features, forest(features, frame). */
async function agentCheck(files: readonly string[]): Promise<Record<string, unknown>> {
  const images: Array<Record<string, unknown>> = [];
  for (const path of files) {
    const f = basename(path);
    const frame = await decodeFile(path);
    const p = forest.predict(computeFeatures(await det.deps.detect(frame), frame.width, frame.height), frame);
    images.push({ image: f, f1: r3(p.f1), point_f1: r3(p.point_f1 ?? p.f1), in_domain: p.in_domain?.in_domain, features_in_domain: forest.manifest.domain ? p.in_domain!.distance <= forest.manifest.domain.cut : null, image_in_domain: p.in_domain?.image?.in_domain });
  }
  const f1s = images.map((i) => i.f1 as number).sort((x, y) => x - y);
  const med = (xs: number[]): number => xs.length ? (xs[Math.floor((xs.length - 1) / 2)]! + xs[Math.ceil((xs.length - 1) / 2)]!) / 2 : NaN;
  const flaggedF1 = images.filter((i) => i.in_domain === false).map((i) => i.f1 as number).sort((x, y) => x - y);
  return {
    images: images.length, flagged: images.filter((i) => i.in_domain === false).length,
    flagged_by_features: images.filter((i) => i.features_in_domain === false).length, flagged_by_image: images.filter((i) => i.image_in_domain === false).length,
    median_f1: r3(med(f1s)), median_point_f1: r3(med(images.map((i) => i.point_f1 as number).sort((x, y) => x - y))), median_f1_in_domain: r3(med(images.filter((i) => i.in_domain !== false).map((i) => i.f1 as number).sort((x, y) => x - y))), median_f1_flagged: r3(med(flaggedF1)), per_image: images,
  };
}
