import test from 'ava';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { CYCLE, badness, demoParams, startDemoFeed } from '../../agent/sim/demo.js';
import { render } from '../../agent/sim/render.js';
import { silentLogger } from '../../agent/log.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('schedule: good, drift, bad, recovery, then good again', (t) => {
  t.is(badness(0), 0);
  t.is(badness(44), 0);
  t.true(badness(55) > 0.2 && badness(55) < 0.8);
  t.is(badness(70), 1);
  t.true(badness(88) < 0.05 && badness(80) > badness(85));
  t.is(badness(CYCLE), 0);
  const good = demoParams(1, 10, 128), bad = demoParams(1, 70, 128);
  t.true(bad.optics.defocusNm < good.optics.defocusNm - 1000);
  t.true(bad.optics.astigNm > 500 && bad.doseEPerA2 < good.doseEPerA2);
});

test('drifted images lose visible cavities (what makes a detector F1 fall)', (t) => {
  let goodVis = 0, badVis = 0;
  for (let s = 0; s < 4; s++) {
    // Good (index 10) and drifted (index 70) sessions on the same render seeds.
    const g = render(demoParams(100, 10, 256), 100 + s);
    const b = render(demoParams(100, 70, 256), 100 + s);
    goodVis += g.labels.filter((l) => l.visible).length / Math.max(1, g.labels.length);
    badVis += b.labels.filter((l) => l.visible).length / Math.max(1, b.labels.length);
  }
  t.true(badVis < goodVis, `visible fraction good ${goodVis / 4} bad ${badVis / 4}`);
});

test('feed writes sortable PNGs atomically with sidecars, and stops', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'temguard-demo-'));
  const feed = startDemoFeed({ dir, intervalMs: 40, seed: 3, size: 64, keep: 1000, log: silentLogger });
  for (let i = 0; i < 200; i++) {
    if ((await readdir(dir)).filter((f) => f.endsWith('.png')).length >= 3) break;
    await sleep(25);
  }
  await feed.stop();
  const after = (await readdir(dir)).sort();
  await sleep(150);
  t.deepEqual((await readdir(dir)).sort(), after, 'no file written after stop()');
  const pngs = after.filter((f) => f.endsWith('.png'));
  t.true(pngs.length >= 3);
  t.deepEqual(pngs.slice(0, 3), ['demo-000001.png', 'demo-000002.png', 'demo-000003.png']);
  t.false(after.some((f) => f.endsWith('.part')));
  for (const f of pngs) {
    const meta = await sharp(join(dir, f)).metadata();
    t.is(meta.channels, 1);
    t.is(meta.width, 64);
    const side = JSON.parse(await readFile(join(dir, f.replace('.png', '.json')), 'utf8'));
    t.is(side.preset, 'demo');
    t.true(Array.isArray(side.annotations));
  }
  // A second feed in the same directory continues the numbering.
  const again = startDemoFeed({ dir, intervalMs: 1000, seed: 3, size: 64, keep: 1000, log: silentLogger });
  for (let i = 0; i < 200 && (await readdir(dir)).filter((f) => f.endsWith('.png')).length === pngs.length; i++) await sleep(25);
  await again.stop();
  t.true((await readdir(dir)).includes(`demo-${String(pngs.length + 1).padStart(6, '0')}.png`));
  await rm(dir, { recursive: true });
});

test('feed keeps only the newest `keep` images and their sidecars', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'temguard-demo-'));
  const feed = startDemoFeed({ dir, intervalMs: 20, seed: 3, size: 32, log: silentLogger, keep: 3 });
  const highest = async (): Promise<number> => Math.max(0, ...(await readdir(dir)).map((f) => Number(/^demo-(\d+)\.png$/.exec(f)?.[1] ?? 0)));
  for (let i = 0; i < 400 && (await highest()) < 7; i++) await sleep(25);
  await feed.stop();
  const files = (await readdir(dir)).sort();
  const top = await highest();
  t.true(top >= 7, `wrote ${top}`);
  const want = [top - 2, top - 1, top].flatMap((n) => [`demo-${String(n).padStart(6, '0')}.json`, `demo-${String(n).padStart(6, '0')}.png`]);
  t.deepEqual(files, want);
  await rm(dir, { recursive: true });
});
