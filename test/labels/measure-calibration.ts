/**
 * Measures what the site calibration does on held-out labels (not a test: run by hand).
 * Simulates a "site" of labelled images in the given presets, runs `temguard predict`
 * (predicted F1) and `temguard score` (realized F1, the paper's IoU 0.1 match) on them, and
 * prints the leave-one-out MAE of F1 without and with the isotonic map.
 *
 *   nice -n 10 node --import tsx test/labels/measure-calibration.ts [count-per-preset] [preset ...]
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { main } from '../../agent/cli.js';
import { leaveOneOutMae } from '../../agent/labels/isotonic.js';

const [countArg, ...presetArgs] = process.argv.slice(2);
const count = Number(countArg ?? 12);
const presets = presetArgs.length ? presetArgs : ['steel-under', 'steel-faint', 'ood-defocus'];

async function run(argv: string[]): Promise<string[]> {
  const out: string[] = [];
  const code = await main(argv, { stdout: (l: string) => out.push(l), stderr: () => {} });
  if (code !== 0) throw new Error(`temguard ${argv[0]} exited ${code}`);
  return out;
}

const xs: number[] = [];
const ys: number[] = [];
for (const [k, preset] of presets.entries()) {
  const dir = mkdtempSync(join(tmpdir(), `tg-cal-${preset}-`));
  await run(['simulate', '--out', dir, '--count', String(count), '--seed', String(100 + k), '--preset', preset, '--size', '512', '--quiet']);
  const pngs = readdirSync(dir).filter((f) => f.endsWith('.png')).map((f) => join(dir, f));
  const predicted = new Map((await run(['predict', ...pngs])).map((l) => JSON.parse(l)).map((r) => [basename(r.image.path), r.prediction.f1 as number]));
  for (const l of await run(['score', '--images', dir, '--annotations', join(dir, 'annotations.json'), '--quiet'])) {
    const r = JSON.parse(l);
    if (r.summary) continue;
    const p = predicted.get(basename(r.image));
    if (p === undefined) continue;
    xs.push(p); ys.push(r.f1);
  }
}
const { before, after } = leaveOneOutMae(xs, ys);
console.log(JSON.stringify({ presets, labels: xs.length, mean_predicted: xs.reduce((a, b) => a + b, 0) / xs.length, mean_realized: ys.reduce((a, b) => a + b, 0) / ys.length, loo_mae_before: +before.toFixed(4), loo_mae_after: +after.toFixed(4) }));
