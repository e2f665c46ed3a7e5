import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodePngGrey } from '../../agent/sim/png.js';
import { backgroundPatch, createBackgroundStore, defaultBackgroundDir, noiseLevel } from '../../agent/sim/realbg.js';
import { render } from '../../agent/sim/render.js';
import { simulate } from '../../agent/commands/simulate.js';
import { params } from './helpers.js';

const DIR = defaultBackgroundDir();
const HAVE = existsSync(DIR) && readdirSync(DIR).some((n) => n.endsWith('.png'));
const withData = HAVE ? test : test.skip;
if (!HAVE) test.skip(`real backgrounds: ${DIR} is absent (a fresh clone has no ../shared/data)`, () => {});

test('the PNG reader gives sharp\'s grey levels: 8-bit grey, RGB, 16-bit, and a clear error for a non-PNG', async (t) => {
  const w = 37, h = 23;
  const grey = Buffer.alloc(w * h), rgb = Buffer.alloc(w * h * 3), g16 = new Uint16Array(w * h);
  for (let i = 0; i < w * h; i++) {
    grey[i] = (i * 7919) % 251;
    rgb[3 * i] = (i * 13) % 256; rgb[3 * i + 1] = (i * 29) % 256; rgb[3 * i + 2] = (i * 71) % 256;
    g16[i] = (i * 40503) % 65536;
  }
  const pGrey = await sharp(grey, { raw: { width: w, height: h, channels: 1 } }).png({ adaptiveFiltering: true }).toBuffer();
  const pRgb = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png({ adaptiveFiltering: true }).toBuffer();
  const p16 = await sharp(g16, { raw: { width: w, height: h, channels: 1 } }).toColourspace('grey16').png().toBuffer();
  const a = decodePngGrey(pGrey);
  t.deepEqual([a.width, a.height], [w, h]);
  t.deepEqual(Array.from(a.data), Array.from(grey));
  const b = decodePngGrey(pRgb);
  for (let i = 0; i < w * h; i++) t.true(Math.abs(b.data[i]! - (0.299 * rgb[3 * i]! + 0.587 * rgb[3 * i + 1]! + 0.114 * rgb[3 * i + 2]!)) < 1e-3);
  const c = decodePngGrey(p16);
  for (let i = 0; i < w * h; i++) t.true(Math.abs(c.data[i]! - g16[i]! / 257) < 1e-3);
  t.throws(() => decodePngGrey(Buffer.from('not a png at all'), 'x.png'), { message: /x.png: not a PNG/ });
});

test('real-background without its folder: a clear error naming the folder, before any file is written', async (t) => {
  const missing = join(tmpdir(), 'temguard-no-backgrounds-here');
  const store = createBackgroundStore(missing);
  t.throws(() => store.count(), { message: /real-background preset needs the cavity-free backgrounds in .*temguard-no-backgrounds-here/ });
  t.throws(() => render(params('real-background', 1, 64), 1, { backgrounds: store }), { message: /cavity-free backgrounds/ });
  const out = await mkdtemp(join(tmpdir(), 'temguard-sim-rb-'));
  const err: string[] = [];
  await t.throwsAsync(simulate(['--out', join(out, 'x'), '--count', '1', '--seed', '1', '--preset', 'real-background', '--backgrounds', missing], { stdout: () => {}, stderr: (s) => err.push(s) }), { message: /cavity-free backgrounds/ });
  t.false(existsSync(join(out, 'x')));
  await rm(out, { recursive: true });
});

withData('the PNG reader matches sharp on the real backgrounds (grey and RGB files)', async (t) => {
  for (const name of readdirSync(DIR).filter((n) => n.endsWith('.png')).sort().slice(0, 3)) {
    const ours = decodePngGrey(readFileSync(join(DIR, name)), name);
    const { data, info } = await sharp(join(DIR, name)).raw().toBuffer({ resolveWithObject: true });
    t.deepEqual([ours.width, ours.height], [info.width, info.height], name);
    let worst = 0;
    for (let i = 0; i < ours.data.length; i += 97) {
      const ref = info.channels >= 3 ? 0.299 * data[i * info.channels]! + 0.587 * data[i * info.channels + 1]! + 0.114 * data[i * info.channels + 2]! : data[i * info.channels]!;
      worst = Math.max(worst, Math.abs(ours.data[i]! - ref));
    }
    t.true(worst < 1e-3, `${name}: ${worst}`);
  }
});

withData('real-background: the image is the real patch wherever no cavity is, and the cavities change it where they are labelled', (t) => {
  const store = createBackgroundStore(DIR);
  let visible = 0;
  for (const seed of [1, 2, 3, 4]) {
    const size = 256;
    const p = params('real-background', seed, size);
    const r = render(p, seed, { backgrounds: store });
    t.is(r.metadata.preset, 'real-background');
    t.truthy(r.metadata.background);
    const { patch } = backgroundPatch(store, p.realBackground!, size);
    t.true(noiseLevel(patch, size) > 0);
    const fringePx = r.metadata.fringe_nm / p.pixelNm;
    const reach = (c: (typeof r.cavities)[number]): number => c.radiusNm / p.pixelNm + 3 * fringePx + 3 / p.realBackground!.scale + 4;
    let far = 0, worst = 0, noise2 = 0, level = 0;
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
      const near = r.cavities.some((c) => {
        const dx = Math.abs(x + 0.5 - c.cx) % size, dy = Math.abs(y + 0.5 - c.cy) % size;
        return Math.hypot(Math.min(dx, size - dx), Math.min(dy, size - dy)) <= reach(c);
      });
      if (near) continue;
      far++;
      const i = y * size + x;
      worst = Math.max(worst, Math.abs(r.clean[i]! - patch[i]!));
      noise2 += (r.image[i]! - r.clean[i]!) ** 2;
      level += r.clean[i]!;
    }
    t.true(far > 1000, `seed ${seed}: ${far} free pixels`);
    // The Fresnel propagator of a strong phase object has weak long tails: 1 % is their bound here.
    t.true(worst < 1e-2, `seed ${seed}: away from cavities the composite departs from the real patch by ${worst}`);
    // What the image adds there is the extra exposure's shot noise only: variance level/N.
    const extra = p.realBackground!.extraCounts;
    const want = extra > 0 ? level / far / extra : 0, got = noise2 / far;
    t.true(extra > 0 ? Math.abs(got / want - 1) < 0.1 : got === 0, `seed ${seed}: noise variance ${got} for ${want}`);
    for (const l of r.labels.filter((q) => q.visible)) {
      visible++;
      const [bx, by, bw, bh] = l.bbox;
      let moved = 0, n = 0;
      for (let y = Math.floor(by); y < by + bh; y++) for (let x = Math.floor(bx); x < bx + bw; x++) {
        const i = y * size + x;
        n++;
        moved += Math.abs(r.clean[i]! / patch[i]! - 1);
      }
      t.true(n > 0 && moved / n > 0.01, `label at ${l.cx.toFixed(1)},${l.cy.toFixed(1)}: mean change ${(moved / n).toFixed(4)}`);
    }
  }
  t.true(visible >= 10, `${visible} visible labels`);
});

withData('real-background: same seed, same bytes (CLI)', async (t) => {
  const run = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'temguard-sim-rb-'));
    await simulate(['--out', dir, '--count', '2', '--seed', '77', '--size', '128', '--preset', 'real-background'], { stdout: () => {}, stderr: () => {} });
    return dir;
  };
  const [a, b] = [await run(), await run()];
  for (const f of ['sim-000001.png', 'sim-000002.png', 'annotations.json', 'metadata.jsonl']) t.true((await readFile(join(a, f))).equals(await readFile(join(b, f))), f);
  await Promise.all([a, b].map((d) => rm(d, { recursive: true })));
});
