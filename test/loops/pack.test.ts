import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../agent/cli.js';
import { PACKS } from '../../agent/commands/options.js';
import { PACKAGE_ROOT } from '../../agent/paths.js';
import { schemaErrors } from '../helpers/schemas.js';

const LOOPS = join(PACKAGE_ROOT, '..', 'shared', 'data', 'loops');
const HAS_LOOPS = existsSync(join(LOOPS, 'images'));
const manifest = (file: string): Record<string, any> => JSON.parse(readFileSync(join(PACKAGE_ROOT, 'models', file), 'utf8'));

/** One 1024² and one 2048² real loop image (sorted names, so the same two every run). */
function twoLoopImages(): string[] {
  const names = readdirSync(join(LOOPS, 'images')).filter((f) => /\.jpe?g$/i.test(f)).sort();
  const series = readFileSync(join(LOOPS, 'series.csv'), 'utf8').split('\n').slice(1).map((l) => l.split(','));
  const big = series.find((r) => r[2] === '2048')?.[0];
  return [names[0]!, big ?? names[names.length - 1]!].map((n) => join(LOOPS, 'images', n));
}

test('the loops pack files exist and their manifests name what they were trained on', (t) => {
  for (const f of [PACKS.loops!.model, PACKS.loops!.forest]) t.true(existsSync(f), f);
  const det = manifest('loops-unet.manifest.json');
  t.is(det.adapter, 'unet');
  t.is(det.training.images, 266);
  t.regex(JSON.stringify(det.training.data), /shared\/data\/loops/);
  t.regex(det.metadata_props['temguard.object_px'], /^\d+,\d+$/);
  const forest = manifest('forest-loops.manifest.json');
  t.is(forest.name, 'forest-loops');
  t.is(forest.training.images, 266);
  t.regex(JSON.stringify(forest.training.data), /out-of-fold/);
  t.true(forest.training.detectors.every((d: { name: string }) => /^loops-unet-fold\d$/.test(d.name)), JSON.stringify(forest.training.detectors));
});

test('an unknown pack is a usage error naming the known ones', async (t) => {
  const err: string[] = [];
  t.is(await main(['predict', 'x.png', '--pack', 'voids'], { stdout: () => {}, stderr: (l) => err.push(l) }), 2);
  t.regex(err.join('\n'), /unknown pack "voids".*loops/);
});

(HAS_LOOPS ? test : test.skip)('predict --pack loops on two real loop images: the loops detector finds loops and the loops forest predicts', async (t) => {
  const images = twoLoopImages();
  const out: string[] = [], err: string[] = [];
  t.is(await main(['predict', ...images, '--pack', 'loops'], { stdout: (l) => out.push(l), stderr: (l) => err.push(l) }), 0, err.join('\n'));
  t.is(out.length, 2);
  for (const line of out) {
    const msg = JSON.parse(line);
    t.is(schemaErrors('result', msg), null);
    t.is(msg.detector.model, 'loops-unet');
    t.is(msg.forest.model, 'forest-loops');
    t.true(msg.detections.count > 0, `${msg.image.path}: no detections`);
    t.true(msg.prediction.f1 >= 0 && msg.prediction.f1 <= 1, String(msg.prediction.f1));
  }
});
