/**
 * Validation of the defocus estimate (agent/physics/defocus.ts), through the agent's own decode
 * and detect path: simulated images of known defocus, then the real images whose file names
 * state their defocus. Prints the markdown tables of docs/physics/defocus.md.
 *
 *   nice -n 10 node --import tsx docs/physics/validate-defocus.ts [--sim-only|--real-only]
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDetectorDeps } from '../../agent/learn/detector-deps.js';
import { createDefocusEstimator, type DefocusEstimate } from '../../agent/physics/defocus.js';
import { statedDefocus } from '../../agent/physics/stated.js';
import { drawParams } from '../../agent/sim/presets.js';
import { render, to8bit } from '../../agent/sim/render.js';
import { pngBytes } from '../../agent/sim/encode.js';
import { createRng } from '../../agent/sim/rng.js';
import type { Frame } from '../../agent/types.js';

const DATA = join(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const SIM_DEFOCUS_UM = [-3, -2, -1.5, -1, -0.5, 0.5, 1, 2];
const SIM_PRESETS = ['steel-under', 'he-bubbles', 'steel-faint'];
const SEEDS = [11, 12];

const { deps, close } = await openDetectorDeps({ providers: ['cpu'] });
const estimator = createDefocusEstimator();
const fmt = (e: DefocusEstimate): string => e.defocus_um === null ? `null (${e.reason})` : `${e.defocus_um.toFixed(2)} ± ${e.defocus_sigma_um!.toFixed(2)}`;

async function estimateFile(path: string, pixelNm: number | null): Promise<DefocusEstimate> {
  const f = await deps.decode(path);
  const frame: Frame = pixelNm ? { ...f, pixelSize: { x: pixelNm, y: pixelNm, unit: 'nm' } } : f;
  return estimator.estimate(frame, await deps.detect(frame));
}

async function simulated(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tg-defocus-'));
  console.log('| preset | seed | pixel (nm) | true (um) | estimated (um) | cavities | match |\n|---|---|---|---|---|---|---|');
  let n = 0, signOk = 0, absErr = 0, relErr = 0, nulls = 0;
  for (const preset of SIM_PRESETS) for (const um of SIM_DEFOCUS_UM) for (const seed of SEEDS) {
    const p = drawParams(preset, createRng(seed), 512);
    p.optics.defocusNm = um * 1000;
    const r = render(p, seed);
    const file = join(dir, `${preset}-${um}-${seed}.png`);
    await writeFile(file, await pngBytes(to8bit(r), r.width, r.height));
    const e = await estimateFile(file, p.pixelNm);
    console.log(`| ${preset} | ${seed} | ${p.pixelNm.toFixed(3)} | ${um} | ${fmt(e)} | ${e.cavities} | ${e.match ?? ''} |`);
    if (e.defocus_um === null) { nulls++; continue; }
    n++; if (Math.sign(e.defocus_um) === Math.sign(um)) signOk++;
    absErr += Math.abs(e.defocus_um - um); relErr += Math.abs(e.defocus_um - um) / Math.abs(um);
  }
  console.log(`\nsimulated: ${n} measured, ${nulls} null; sign right ${signOk}/${n}; mean |error| ${(absErr / n).toFixed(2)} um; mean relative error ${(100 * relErr / n).toFixed(0)} %\n`);
  await rm(dir, { recursive: true, force: true });
}

async function pixelTable(dir: string): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  const csv = join(dir, 'nm_per_pixel.csv');
  if (!existsSync(csv)) return m;
  for (const line of (await readFile(csv, 'utf8')).split('\n').slice(1)) {
    const [name, nm] = line.split(',');
    if (name && Number(nm) > 0) m.set(name, Number(nm));
  }
  return m;
}

async function real(): Promise<void> {
  console.log('| image | pixel (nm) | stated | estimated (um) | cavities | match |\n|---|---|---|---|---|---|');
  let n = 0, signOk = 0, signN = 0, nulls = 0;
  for (const sub of ['tem', 'tem-unlabelled']) {
    const dir = join(DATA, sub);
    if (!existsSync(dir)) continue;
    const px = await pixelTable(dir);
    for (const name of (await readdir(dir)).sort()) {
      const stated = statedDefocus(name);
      if (!stated) continue;
      const e = await estimateFile(join(dir, name), px.get(name) ?? null);
      const said = stated.um === null ? stated.sign < 0 ? 'under' : 'over' : `${stated.um} um`;
      console.log(`| ${sub}/${name} | ${px.get(name) ?? '?'} | ${said} | ${fmt(e)} | ${e.cavities} | ${e.match ?? ''} |`);
      if (e.defocus_um === null) { nulls++; continue; }
      n++;
      if (stated.sign !== 0) { signN++; if (Math.sign(e.defocus_um) === stated.sign) signOk++; }
    }
  }
  console.log(`\nreal: ${n} measured, ${nulls} null; sign right ${signOk}/${signN}`);
}

try {
  if (!process.argv.includes('--real-only')) await simulated();
  if (!process.argv.includes('--sim-only')) await real();
} finally {
  await close();
}
