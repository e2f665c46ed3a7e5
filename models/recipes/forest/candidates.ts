/**
 * Measures the "beyond the paper" candidates on a forest table, each WITH and WITHOUT, on the
 * grouped (leave-one-group-out) splits, and writes DIR/candidates.json:
 *   - conformal: today's out-of-bag half-width vs a half-width calibrated on nested
 *     leave-one-group-out residuals (calibration under shift), plain and normalised by the
 *     applicability-domain distance; coverage and mean half-width at the level;
 *   - domain: share of each held-out group flagged in_domain by a reference built on the
 *     other groups, and, with --natural DIR, the natural photographs' in_domain share and
 *     predicted F1 through the real detector and the given forest.
 * Usage: npx tsx models/recipes/forest/candidates.ts --table T.csv --forest MODEL.json --out DIR
 *        [--natural DIR] [--model DETECTOR.onnx] [--level 0.9]
 */
import { readdir, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { readTable } from '../../../agent/learn/table.js';
import { groupFolds, type Fold } from '../../../agent/learn/cv.js';
import { predictRows, trainForests, type Row } from '../../../agent/learn/train.js';
import { conformalQuantile } from '../../../agent/learn/conformal.js';
import { buildDomainReference, domainChecker } from '../../../agent/pipeline/domain.js';
import { loadForest } from '../../../agent/pipeline/forest.js';
import { computeFeatures } from '../../../agent/pipeline/features.js';
import { SUPPORTED_EXTENSIONS } from '../../../agent/pipeline/decode.js';
import { openDetectorDeps } from '../../../agent/learn/detector-deps.js';
import { imageQuality } from '../../../agent/learn/quality.js';
import type { FeatureName } from '../../../agent/types.js';

const { values: a } = parseArgs({ options: { table: { type: 'string' }, forest: { type: 'string' }, out: { type: 'string' }, natural: { type: 'string' }, model: { type: 'string' }, level: { type: 'string' }, 'domain-extra': { type: 'string' }, 'skip-conformal': { type: 'boolean' } } });
if (!a.table || !a.forest || !a.out) { console.error('usage: candidates.ts --table T.csv --forest MODEL.json --out DIR [--natural DIR] [--model ONNX]'); process.exit(2); }
const level = Number(a.level ?? 0.9);
const { rows } = await readTable(a.table);
const forest = await loadForest(a.forest, { threshold: 0.5 });
const features = [...forest.features] as FeatureName[];
// The domain may also look at image statistics (quality.ts columns) the forest does not use.
const domainFeatures = [...features, ...(a['domain-extra'] ? a['domain-extra'].split(',') : [])];
const say = (m: string): void => console.error(`candidates: ${m}`);

/** Out-of-fold F1 predictions of `test` from a forest fitted on `train`. */
function fitPredict(train: readonly Row[], test: readonly Row[], seed: number): Float64Array {
  const { scaler, fitted } = trainForests(train, features, ['f1'], { seed });
  return predictRows(fitted.f1!.forest, test, features, scaler);
}

/** Nested LOGO inside `train`: each training row's residual from a forest that did not see its group. */
function groupedResiduals(train: readonly Row[], seed: number): { residual: number[]; distance: number[] } {
  const residual: number[] = new Array(train.length);
  const distance: number[] = new Array(train.length);
  groupFolds(train.map((r) => r.group)).forEach((inner, k) => {
    const held = new Set(inner.test);
    const rest = train.filter((_, i) => !held.has(i));
    const test = inner.test.map((i) => train[i]!);
    const pred = fitPredict(rest, test, seed + 31 * k);
    const dom = domainChecker(buildDomainReference(rest.map((r) => r.features), domainFeatures));
    inner.test.forEach((i, j) => { residual[i] = Math.abs(train[i]!.f1 - pred[j]!); distance[i] = dom(train[i]!.features).distance; });
  });
  return { residual, distance };
}

const folds: Fold[] = groupFolds(rows.map((r) => r.group));
const methods = ['oob', 'grouped', 'grouped_normalised'] as const;
const acc = Object.fromEntries(methods.map((m) => [m, { inside: 0, width: 0 }])) as Record<(typeof methods)[number], { inside: number; width: number }>;
const bySplit: Array<Record<string, unknown>> = [];
let n = 0;
if (!a['skip-conformal']) folds.forEach((fold, k) => {
  const held = new Set(fold.test);
  const train = rows.filter((_, i) => !held.has(i));
  const test = fold.test.map((i) => rows[i]!);
  const { scaler, fitted } = trainForests(train, features, ['f1'], { seed: 1 + 7919 * k });
  const pred = predictRows(fitted.f1!.forest, test, features, scaler);
  const oob = fitted.f1!.oob;
  const qOob = conformalQuantile(train.flatMap((r, i) => (Number.isFinite(oob[i]!) ? [Math.abs(r.f1 - oob[i]!)] : [])), level);
  const g = groupedResiduals(train, 1 + 7919 * k);
  const qGrp = conformalQuantile(g.residual, level);
  // Normalised scores |r| / (beta + distance): wider where the image is farther from the table.
  const beta = median(g.distance);
  const qNorm = conformalQuantile(g.residual.map((r, i) => r / (beta + g.distance[i]!)), level);
  const dom = domainChecker(buildDomainReference(train.map((r) => r.features), domainFeatures));
  const split = { name: fold.name, n: test.length, in_domain: 0, oob: 0, grouped: 0, grouped_normalised: 0, width_normalised: 0, q_oob: qOob, q_grouped: qGrp };
  test.forEach((r, j) => {
    const d = dom(r.features);
    const widths = { oob: qOob, grouped: qGrp, grouped_normalised: qNorm * (beta + d.distance) };
    for (const m of methods) {
      const lo = Math.max(0, pred[j]! - widths[m]), hi = Math.min(1, pred[j]! + widths[m]);
      const inside = r.f1 >= lo - 1e-12 && r.f1 <= hi + 1e-12 ? 1 : 0;
      acc[m].inside += inside; acc[m].width += widths[m]; split[m] += inside / test.length;
    }
    split.width_normalised += widths.grouped_normalised / test.length;
    if (d.in_domain) split.in_domain += 1 / test.length;
  });
  n += test.length;
  bySplit.push(split);
  say(`${fold.name}: coverage oob ${split.oob.toFixed(3)} grouped ${split.grouped.toFixed(3)} normalised ${split.grouped_normalised.toFixed(3)}; in_domain ${split.in_domain.toFixed(3)}`);
});
const conformal = n ? Object.fromEntries(methods.map((m) => [m, { coverage: acc[m].inside / n, mean_half_width: acc[m].width / n }])) : undefined;
say(`conformal at ${level}: ${JSON.stringify(conformal)}`);

let natural: Record<string, unknown> | undefined;
if (a.natural) {
  const ref = buildDomainReference(rows.map((r) => r.features), domainFeatures);
  const dom = domainChecker(ref);
  const { deps, close } = await openDetectorDeps({ model: a.model, confidence: 0.1 });
  const files = (await readdir(a.natural)).filter((f) => SUPPORTED_EXTENSIONS.includes(extname(f).toLowerCase())).sort();
  const images: Array<Record<string, unknown>> = [];
  try {
    for (const f of files) {
      const frame = await deps.decode(join(a.natural, f));
      const feats = computeFeatures(await deps.detect(frame), frame.width, frame.height);
      images.push({ image: f, f1: forest.predict(feats).f1, ...dom({ ...feats, ...imageQuality(frame) }) });
    }
  } finally { await close(); }
  const f1s = images.map((i) => i.f1 as number);
  natural = { images: images.length, out_of_domain: images.filter((i) => !i.in_domain).length, median_f1: median(f1s), per_image: images };
  say(`natural: ${natural.out_of_domain}/${images.length} out of domain, median predicted F1 ${(natural.median_f1 as number).toFixed(3)}`);
}

await writeFile(join(a.out, 'candidates.json'), JSON.stringify({ table: a.table, forest: a.forest, features, domain_features: domainFeatures, level, conformal, by_split: bySplit, natural }, null, 1) + '\n');

function median(xs: readonly number[]): number {
  const s = [...xs].sort((p, q) => p - q);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN;
}
