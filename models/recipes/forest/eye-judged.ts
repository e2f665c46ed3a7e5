/**
 * Forests against F1 judged by eye on real frames (docs/forest/eye-judged-*.json): the only
 * real cavity images with any notion of truth here. Reads the results of `temguard predict` on
 * those frames (so detection runs once, as the agent runs it) and scores each forest's own F1 on
 * the results' features: MAE, mean bias and Spearman's rank correlation, per file and pooled.
 * The forest's own estimate, not the published one: the image-domain rule is not applied.
 *
 *   npx tsx agent/cli.ts predict FRAMES... > RESULTS.jsonl
 *   npx tsx models/recipes/forest/eye-judged.ts --results RESULTS.jsonl --judged docs/forest/eye-judged-tem.json \
 *     [--judged docs/forest/eye-judged-666.json] FOREST.json...
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { regressionMetrics } from '../../../agent/learn/metrics.js';
import { loadForest } from '../../../agent/pipeline/forest.js';
import type { Features } from '../../../agent/types.js';

interface Judged { image: string; f1_by_eye: number }

/** Ranks from 1, ties sharing their mean rank. */
function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) r[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

function spearman(a: readonly number[], b: readonly number[]): number {
  const ra = ranks(a), rb = ranks(b), n = a.length, m = (n + 1) / 2;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) { sab += (ra[i]! - m) * (rb[i]! - m); saa += (ra[i]! - m) ** 2; sbb += (rb[i]! - m) ** 2; }
  return sab / Math.sqrt(saa * sbb);
}

/** Features per image, keyed by the path below the data folder ("tem/…", "tem-unlabelled/…"). */
function featuresOf(resultsPath: string): Map<string, Features> {
  const byImage = new Map<string, Features>();
  for (const line of readFileSync(resultsPath, 'utf8').split('\n').filter(Boolean)) {
    const r = JSON.parse(line) as { image: { path: string }; features: Features };
    const m = /(tem(?:-unlabelled)?\/[^/]+)$/.exec(r.image.path);
    if (m) byImage.set(m[1]!, r.features);
  }
  return byImage;
}

function score(truth: number[], pred: number[]): string {
  const { mae } = regressionMetrics(truth, pred);
  const bias = pred.reduce((s, p, i) => s + p - truth[i]!, 0) / pred.length;
  return `MAE ${mae.toFixed(3)}  bias ${bias >= 0 ? '+' : ''}${bias.toFixed(3)}  Spearman ${spearman(truth, pred).toFixed(2)}`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { results: { type: 'string' }, judged: { type: 'string', multiple: true } } });
  if (!values.results || !values.judged?.length || positionals.length === 0) throw new Error('usage: --results RESULTS.jsonl --judged FILE.json... FOREST.json...');
  const features = featuresOf(values.results);
  const sets = values.judged.map((file) => {
    const frames = (JSON.parse(readFileSync(file, 'utf8')) as { frames: Judged[] }).frames;
    const missing = frames.filter((f) => !features.has(f.image)).map((f) => f.image);
    if (missing.length) throw new Error(`${values.results} has no result for ${missing.join(', ')}`);
    return { file, frames };
  });
  const pooled = { file: 'all', frames: sets.flatMap((s) => s.frames) };
  for (const path of positionals) {
    const forest = await loadForest(path, { threshold: 0.5 });
    console.log(path);
    for (const s of sets.length > 1 ? [...sets, pooled] : sets) {
      const truth = s.frames.map((f) => f.f1_by_eye), pred = s.frames.map((f) => forest.predict(features.get(f.image)!).f1);
      console.log(`  ${s.file} (${s.frames.length} frames): ${score(truth, pred)}`);
    }
  }
}

main().catch((err) => { console.error(`eye-judged: ${(err as Error).message}`); process.exitCode = 1; });
