/**
 * WITH and WITHOUT for the evidence candidates (evidence.sh's columns joined to the forest
 * table by image): leave-one-group-out and random 5-fold x REPEATS, F1 and recall, for the
 * shipped model's features alone and with each candidate set added; rows lacking a candidate's
 * column (the flip agreement was run on a subset) are compared on that subset only, both ways.
 * Usage: npx tsx models/recipes/forest/evidence-eval.ts --table T.csv --evidence E.csv --forest MODEL.json --out OUT.json [--repeats 2]
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readTable, parseCsv } from '../../../agent/learn/table.js';
import { crossValidate, groupFolds, repeatedKFold } from '../../../agent/learn/cv.js';
import { loadForest } from '../../../agent/pipeline/forest.js';
import { SUBTHRESHOLD_NAMES } from '../../../agent/pipeline/subthreshold.js';
import type { Row } from '../../../agent/learn/train.js';
import type { FeatureName } from '../../../agent/types.js';

const { values: a } = parseArgs({ options: { table: { type: 'string' }, evidence: { type: 'string' }, forest: { type: 'string' }, out: { type: 'string' }, repeats: { type: 'string' } } });
if (!a.table || !a.evidence || !a.forest || !a.out) { console.error('usage: evidence-eval.ts --table T.csv --evidence E.csv --forest MODEL.json --out OUT.json'); process.exit(2); }
const { rows } = await readTable(a.table);
const [head, ...body] = parseCsv(await readFile(a.evidence, 'utf8'));
const byImage = new Map(body.filter((r) => r.length === head!.length).map((r) => [r[0]!, Object.fromEntries(head!.slice(1).map((c, j) => [c, Number(r[j + 1])]))]));
const joined: Row[] = rows.flatMap((r) => { const e = byImage.get(r.image); return e ? [{ ...r, features: { ...r.features, ...e } }] : []; });
const base = [...(await loadForest(a.forest, { threshold: 0.5 })).features] as FeatureName[];
const repeats = Number(a.repeats ?? 2);
console.error(`evidence-eval: ${joined.length} of ${rows.length} table rows have evidence`);

function measure(set: readonly Row[], features: readonly string[]): Record<string, unknown> {
  const f = features as FeatureName[];
  const g = groupFolds(set.map((r) => r.group));
  const rnd = repeatedKFold(set.length, 5, repeats, 12);
  const out: Record<string, unknown> = { features: f.length };
  for (const t of ['f1', 'recall'] as const) {
    out[t] = { grouped: crossValidate(set, g, f, t).mean, random: crossValidate(set, rnd, f, t).mean };
  }
  return out;
}
const sub = [...SUBTHRESHOLD_NAMES];
const candidates: Record<string, unknown> = {};
candidates.subthreshold = { rows: joined.length, without: measure(joined, base), with: measure(joined, [...base, ...sub]) };
say('subthreshold', candidates.subthreshold);
// The two columns with the strongest within-preset correlation to recall (ratio and mass), alone.
candidates.subthreshold_ratio_mass = { rows: joined.length, with: measure(joined, [...base, 'sub_ratio', 'sub_mass']) };
say('subthreshold_ratio_mass', candidates.subthreshold_ratio_mass);
const flipRows = joined.filter((r) => Number.isFinite(r.features.tta_flip_f1));
if (flipRows.length >= 50 && new Set(flipRows.map((r) => r.group)).size >= 2) {
  candidates.flip = { rows: flipRows.length, without: measure(flipRows, base), with: measure(flipRows, [...base, 'tta_flip_f1']), with_subthreshold: measure(flipRows, [...base, ...sub]), with_both: measure(flipRows, [...base, ...sub, 'tta_flip_f1']) };
  say('flip', candidates.flip);
}
const times = joined.map((r) => r.features.detect_ms!).filter(Number.isFinite);
const flips = joined.map((r) => r.features.flip_ms!).filter(Number.isFinite);
await writeFile(a.out, JSON.stringify({ table: a.table, evidence: a.evidence, base, repeats, candidates, cost_ms: { detect_median: median(times), flip_median: median(flips) } }, null, 1) + '\n');

function say(name: string, c: unknown): void {
  const m = (x: any, t: string, s: string): string => x[t][s].mae.toFixed(4) + '/' + x[t][s].r2.toFixed(3);
  const o = c as Record<string, any>;
  for (const k of Object.keys(o).filter((k) => k !== 'rows')) console.error(`${name} ${k}: grouped f1 ${m(o[k], 'f1', 'grouped')} recall ${m(o[k], 'recall', 'grouped')}; random f1 ${m(o[k], 'f1', 'random')} (MAE/R2, ${o.rows} rows)`);
}
function median(xs: number[]): number { const s = [...xs].sort((p, q) => p - q); return s.length ? s[Math.floor(s.length / 2)]! : NaN; }
