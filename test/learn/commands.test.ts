import test from 'ava';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../agent/cli.js';
import { rng } from '../../agent/learn/cart.js';
import { readTable, writeTable } from '../../agent/learn/table.js';
import { loadForest } from '../../agent/pipeline/forest.js';
import { zeroFeatures } from '../../agent/pipeline/features.js';
import { FEATURE_NAMES } from '../../agent/types.js';
import type { Row } from '../../agent/learn/train.js';

function capture(): { io: { stdout: (l: string) => void; stderr: (l: string) => void }; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (l) => out.push(l), stderr: (l) => err.push(l) }, out, err };
}

/** A table whose F1 follows two features, in three groups (structure the protocol must find). */
async function makeTable(dir: string, n: number): Promise<string> {
  const r = rng(11);
  const rows: Row[] = Array.from({ length: n }, (_, i) => {
    const f = zeroFeatures() as Record<string, number>;
    for (const k of FEATURE_NAMES) f[k] = r();
    f.q_snr = r() * 20;
    const f1 = Math.min(1, Math.max(0, 0.2 + 0.6 * f['counts_0.9']! + 0.2 * f.area_ratio! + 0.05 * (r() - 0.5)));
    return { image: `im ${i}.png`, group: ['steel-under', 'he-bubbles', 'ood-lowdose'][i % 3]!, features: f, f1, precision: f1, recall: f1 * 0.9 };
  });
  const path = join(dir, 'table.csv');
  await writeTable(path, rows, ['q_snr']);
  return path;
}

test('train then evaluate: model loads in the agent, report has the contract keys and figures', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'learn-cmd-'));
  const table = await makeTable(dir, 150);
  const c = capture();
  const model = join(dir, 'forest.json');
  const det = join(dir, 'det.onnx');
  await writeFile(det, 'detector bytes');
  t.is(await main(['train', '--table', table, '--out', model, '--trees', '20', '--repeats', '1', '--detectors', det], c.io), 0, c.err.join('\n'));
  const forest = await loadForest(model, { threshold: 0.5 });
  t.true(forest.features.includes('counts_0.9'), `chosen ${forest.features.join(',')}`);
  t.is(forest.manifest.training?.images, 150);
  t.deepEqual(forest.manifest.training?.detectors, [{ name: 'det', sha256: createHash('sha256').update('detector bytes').digest('hex') }]);

  const rep = join(dir, 'report');
  const e = capture();
  t.is(await main(['evaluate', '--table', table, '--out', rep, '--trees', '20', '--repeats', '1', '--python', 'none', '--forest', model], e.io), 0, e.err.join('\n'));
  const report = JSON.parse(await readFile(join(rep, 'report.json'), 'utf8'));
  for (const k of ['mae', 'rmse', 'r2', 'nrmse', 'nmae']) {
    t.is(typeof report.random[k], 'number', `random.${k}`);
    t.is(typeof report.grouped[k], 'number', `grouped.${k}`);
  }
  t.is(report.splits.length, 3);
  t.deepEqual(Object.keys(report.splits[0]).slice(0, 7), ['name', 'n', 'mae', 'rmse', 'r2', 'nrmse', 'nmae']);
  t.true(report.random.mae < report.baselines.mean.random.mae / 2, 'forest beats predicting the mean');
  t.deepEqual(report.features, forest.features);
  t.truthy(report.quality);
  for (const f of report.figures) t.true(existsSync(join(rep, f)), f);
  t.true((await readFile(join(rep, 'report.md'), 'utf8')).includes('## Per split'));
});

test('commands fail with one line, never a stack trace', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'learn-cmd-'));
  let c = capture();
  t.is(await main(['train', '--out', join(dir, 'm.json')], c.io), 2);
  t.deepEqual(c.err, ['temguard train: --table is required']);
  c = capture();
  t.is(await main(['train', '--table', join(dir, 'missing.csv'), '--out', join(dir, 'm.json')], c.io), 1);
  t.regex(c.err.join('\n'), /^temguard train: cannot read table .*missing\.csv: ENOENT$/);
  const table = await makeTable(dir, 12);
  c = capture();
  t.is(await main(['evaluate', '--table', table, '--out', join(dir, 'r')], c.io), 2);
  t.regex(c.err[0]!, /12 rows; the protocol needs at least 20/);
  c = capture();
  t.is(await main(['train', '--table', table, '--out', join(dir, 'm.json'), '--features', 'counts,snr'], c.io), 2);
  t.regex(c.err[0]!, /"snr" is not one of the agent's features/);
  c = capture();
  t.is(await main(['score', '--images', dir, '--annotations', join(dir, 'none.json')], c.io), 1);
  t.regex(c.err[0]!, /cannot read annotations .*ENOENT/);
});

// The real pipeline on simulated images: decode (sharp), the committed random-weight U-Net
// fixture through onnxruntime, matching and features. Skipped where the fixture is absent.
const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'onnx', 'unet-fixture.onnx');
(existsSync(FIXTURE) ? test : test.skip)('dataset and score on simulated images through the real detector', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'learn-ds-'));
  const sim = join(dir, 'sim');
  t.is(await main(['simulate', '--out', sim, '--count', '3', '--seed', '4', '--preset', 'steel-over', '--size', '128'], capture().io), 0);
  const coco = JSON.parse(await readFile(join(sim, 'annotations.json'), 'utf8'));
  const c = capture();
  const table = join(dir, 't.csv');
  t.is(await main(['dataset', '--images', sim, '--annotations', join(sim, 'annotations.json'), '--out', table, '--model', FIXTURE, '--providers', 'cpu'], c.io), 0, c.err.join('\n'));
  const { rows, featureColumns } = await readTable(table);
  t.is(rows.length, 3);
  t.deepEqual(featureColumns.slice(0, 18), [...FEATURE_NAMES]);
  t.true(rows.every((r) => r.group === 'steel-over' && r.features.q_snr! > 0));
  const s = capture();
  t.is(await main(['score', '--images', sim, '--annotations', join(sim, 'annotations.json'), '--model', FIXTURE, '--providers', 'cpu'], s.io), 0, s.err.join('\n'));
  const lines = s.out.map((l) => JSON.parse(l));
  t.is(lines.length, 4);
  const summary = lines[3].summary;
  t.is(summary.images, 3);
  t.is(summary.tp + summary.fn, coco.annotations.length);
  lines.slice(0, 3).forEach((l, i) => t.is(l.f1, rows[i]!.f1));
});
