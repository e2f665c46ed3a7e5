import test from 'ava';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { imageStatistics } from '../../agent/pipeline/image-stats.js';
import { COLOUR_SHARE_CUT, imageDomainChecker } from '../../agent/pipeline/image-domain.js';
import { DomainError } from '../../agent/pipeline/domain.js';
import { decodeFile } from '../../agent/pipeline/decode.js';
import { loadForest } from '../../agent/pipeline/forest.js';
import { readTable } from '../../agent/learn/table.js';
import { MODELS_DIR, PACKAGE_ROOT } from '../../agent/paths.js';
import { realSets } from '../../models/recipes/forest/image-domain-sets.js';
import type { Frame } from '../../agent/types.js';

const DATA = join(PACKAGE_ROOT, '..', 'shared', 'data');
const HAS_DATA = existsSync(join(DATA, 'loops')) && existsSync(join(DATA, 'tem-unlabelled'));
const MODEL = join(MODELS_DIR, 'forest-default.json');

function frameOf(w: number, h: number, f: (x: number, y: number) => number): Frame {
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = f(x, y);
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of data) { min = Math.min(min, v); max = Math.max(max, v); sum += v; }
  return { width: w, height: h, data, dtype: 'float32', min, max, mean: sum / data.length, pixelSize: null, format: 'raw' };
}

/** Deterministic Gaussian noise (Box-Muller on a small LCG), so the test cannot flake. */
function noise(seed: number): () => number {
  let s = seed >>> 0;
  const u = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

test('the statistics tell pixel noise from a flat picture with edges', (t) => {
  const g = noise(7);
  const shot = imageStatistics(frameOf(256, 256, () => 100 + 10 * g()))!;
  // Half flat, half a checkerboard of 12 px squares: a drawing, not a camera frame.
  const cartoon = imageStatistics(frameOf(256, 256, (x, y) => (x >= 128 && (Math.floor(x / 12) + Math.floor(y / 12)) % 2 ? 200 : 40)))!;
  t.true(Math.abs(shot.im_slope_hi) < 0.5, `white noise has a flat spectrum: ${shot.im_slope_hi}`);
  t.true(cartoon.im_slope_hi < -1.5, `edges on flat areas give a steep spectrum: ${cartoon.im_slope_hi}`);
  t.true(shot.im_texture_spread < 1, `noise everywhere: narrow block-std spread ${shot.im_texture_spread}`);
  t.true(cartoon.im_texture_spread > 3, `flat areas next to edges: wide spread ${cartoon.im_texture_spread}`);
  t.true(cartoon.im_log_mode_share > Math.log(0.3) && shot.im_log_mode_share < Math.log(0.01));
  t.true(cartoon.im_coherence > shot.im_coherence);
  t.is(imageStatistics(frameOf(100, 300, () => 1)), null, 'below one spectrum tile: no statistics');
});

test('a reference on statistics this agent does not compute is refused', async (t) => {
  const forest = await loadForest(MODEL, { threshold: 0.5 });
  const ref = forest.manifest.image_domain;
  if (!ref) return t.fail('models/forest-default.manifest.json carries no image_domain (run models/recipes/forest/image-domain.ts)');
  t.throws(() => imageDomainChecker({ ...ref, features: ['im_colour', ...ref.features.slice(1)] }), { instanceOf: DomainError, message: /im_colour/ });
});

test('screenshots of the live view are outside the image domain, and so the prediction is: f1 is its interval\'s lower end', async (t) => {
  const forest = await loadForest(MODEL, { threshold: 0.5 });
  const { rows } = await readTable('docs/forest/table.csv');
  const row = rows.find((r) => r.f1 > 0.8)!; // a good frame's features: the point estimate is high
  const plain = forest.predict(row.features as never);
  t.is(plain.in_domain?.image, undefined, 'without the frame only the features are checked');
  t.is(plain.point_f1, undefined);
  for (const f of ['docs/web/live-view.png', 'docs/web/labels.png']) {
    const p = forest.predict(row.features as never, await decodeFile(f));
    t.is(p.in_domain?.image?.in_domain, false, `${f}: ${JSON.stringify(p.in_domain)}`);
    t.false(p.in_domain!.in_domain);
    t.is(p.point_f1, plain.f1, 'the point estimate is kept');
    t.is(p.f1, p.interval!.lo);
    t.true(p.f1 < plain.f1);
    t.is(p.low, p.f1 < p.threshold);
  }
});

test('a colour picture is out of the image domain whatever its statistics; a few coloured pixels (a scale bar) are not', async (t) => {
  const forest = await loadForest(MODEL, { threshold: 0.5 });
  const check = imageDomainChecker(forest.manifest.image_domain!);
  const g = noise(3);
  const frame = frameOf(256, 256, () => 100 + 10 * g());
  const grey = check(frame)!;
  const bar = check({ ...frame, colourShare: COLOUR_SHARE_CUT / 4 })!;
  const colour = check({ ...frame, colourShare: 0.5 })!;
  t.deepEqual(bar, grey, 'under the cut: the statistics alone decide');
  t.false(colour.in_domain);
  t.is(colour.colour_share, 0.5);
  t.is(colour.distance, grey.distance, 'the statistics are still reported');
});

(HAS_DATA ? test : test.skip)('a held-out real micrograph in false colour is out of the image domain; grey it is in (skipped without ../shared/data)', async (t) => {
  const p = realSets(DATA).heldOut.cavity_held_out![0]!;
  const forest = await loadForest(MODEL, { threshold: 0.5 });
  const check = imageDomainChecker(forest.manifest.image_domain!);
  const tinted = join(mkdtempSync(join(tmpdir(), 'temguard-tint-')), 'tinted.png');
  // A false-colour look-up table (orange ramp): R = v, G = 0.6 v, B = 0.2 v.
  const { data, info } = await sharp(p).greyscale().raw().toBuffer({ resolveWithObject: true });
  const rgb = Buffer.alloc(info.width * info.height * 3);
  for (let i = 0; i < info.width * info.height; i++) rgb.set([data[i * info.channels]!, 0.6 * data[i * info.channels]!, 0.2 * data[i * info.channels]!], i * 3);
  await sharp(rgb, { raw: { width: info.width, height: info.height, channels: 3 } }).png().toFile(tinted);
  const r = check(await decodeFile(tinted))!;
  t.false(r.in_domain, JSON.stringify(r));
  t.true(r.colour_share! > 0.5, `${r.colour_share}`);
  t.true(check(await decodeFile(p))!.in_domain);
  const { rows } = await readTable('docs/forest/table.csv');
  t.is(forest.predict(rows[0]!.features as never, await decodeFile(p)).point_f1, undefined, 'a grey micrograph keeps the point estimate as f1');
  t.is(typeof forest.predict(rows[0]!.features as never, await decodeFile(tinted)).point_f1, 'number');
});

(HAS_DATA ? test : test.skip)('held-out real micrographs are inside the image domain; the reference never holds them (skipped without ../shared/data)', async (t) => {
  const { reference, heldOut } = realSets(DATA);
  const refPaths = new Set(Object.values(reference).flat());
  t.false(Object.values(heldOut).flat().some((p) => refPaths.has(p)));
  const forest = await loadForest(MODEL, { threshold: 0.5 });
  const check = imageDomainChecker(forest.manifest.image_domain!);
  const pick = [...heldOut.cavity_held_out!.filter((_, i) => i % 10 === 0), ...heldOut.backgrounds_held_out!.slice(0, 2)];
  for (const p of pick) {
    const r = check(await decodeFile(p));
    t.true(r !== null && r.in_domain, `${p}: ${JSON.stringify(r)}`);
  }
});
