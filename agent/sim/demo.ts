/**
 * A microscope session in a box: with no acquisition directory configured, the daemon can
 * call startDemoFeed() to drop a simulated 8-bit PNG into a (temp) directory every
 * intervalMs, so the whole pipeline — watch, detect, features, forest, MQTT — has something
 * to chew on and the predicted F1 has something to react to.
 *
 * The session drifts on a slow cycle of CYCLE images (3 min at the default 2 s):
 *   images  0–44   good: steel-under at its drawn defocus (−0.5…−2 µm), dose and astigmatism
 *   images 45–64   drift: defocus runs to −3.2 µm, 2-fold astigmatism to 0.9 µm, the dose falls
 *                  20×, the illumination spreads (α ×4) — the detector's F1 falls
 *   images 65–74   bad: held there
 *   images 75–89   recovery: the operator refocuses, everything returns to the good state
 * `badness` b ∈ [0, 1] follows that schedule (smoothstep ramps) and mixes each image's drawn
 * parameters with the bad state. The specimen changes every image (seed + index), as the
 * stage moves.
 *
 * Files: `demo-000001.json` (metadata, badness, COCO-style labels of the visible cavities) is
 * written first, then `demo-000001.png`; each through `.name.part` + rename, so a watcher never
 * sees half a file and finds the sidecar present when the PNG appears. Numbering continues
 * after the highest demo-*.png already in the directory. Only the newest `keep` images stay:
 * after writing image i the feed deletes image i − keep and its sidecar (at 2 s an image, a
 * demo left running overnight wrote 13 GB).
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { createRng } from './rng.js';
import { drawParams, type SimParams } from './presets.js';
import { render, to8bit } from './render.js';
import { pngBytes } from './encode.js';
import { ensureDir, writeAtomic } from './files.js';

export const CYCLE = 90;

/** The schedule of the file comment: 0 = good, 1 = fully drifted. */
export function badness(index: number): number {
  const i = ((index % CYCLE) + CYCLE) % CYCLE;
  const smooth = (x: number): number => x * x * (3 - 2 * x);
  if (i < 45) return 0;
  if (i < 65) return smooth((i - 45) / 20);
  if (i < 75) return 1;
  return smooth(1 - (i - 75) / 15);
}

/** One demo image's parameters: the drawn steel-under session mixed with the drifted state. */
export function demoParams(seed: number, index: number, size: number): SimParams {
  const p = drawParams('steel-under', createRng(seed + index), size);
  const b = badness(index);
  const mix = (good: number, bad: number): number => good + (bad - good) * b;
  p.preset = 'demo';
  p.optics.defocusNm = mix(p.optics.defocusNm, -3200);
  p.optics.astigNm = mix(p.optics.astigNm, 900);
  p.optics.alphaRad = mix(p.optics.alphaRad, 4 * p.optics.alphaRad);
  p.doseEPerA2 = p.doseEPerA2 * Math.pow(0.05, b);
  return p;
}

export interface DemoFeedOptions { dir: string; intervalMs: number; seed: number; size: number; log: Logger; keep: number }

const demoName = (index: number): string => `demo-${String(index).padStart(6, '0')}`;

/** Deletes demo image `index` and its sidecar; a file already gone is not an error. */
async function dropDemoImage(dir: string, index: number): Promise<void> {
  const name = demoName(index);
  await Promise.all([rm(join(dir, `${name}.png`), { force: true }), rm(join(dir, `${name}.json`), { force: true })]);
}

async function nextIndex(dir: string): Promise<number> {
  let max = 0;
  for (const f of await readdir(dir)) {
    const m = /^demo-(\d+)\.png$/.exec(f);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}

/** Renders and writes image `index` (1-based file number). */
export async function writeDemoImage(dir: string, seed: number, index: number, size: number): Promise<{ name: string; meta: Record<string, unknown> }> {
  const p = demoParams(seed, index - 1, size);
  const r = render(p, seed + index - 1);
  const name = demoName(index);
  const labels = r.labels.filter((l) => l.visible).map((l) => ({ bbox: l.bbox, segmentation: [l.polygon], area: l.area }));
  const meta = { ...r.metadata, badness: Math.round(badness(index - 1) * 1000) / 1000, index, annotations: labels };
  await writeAtomic(join(dir, `${name}.json`), JSON.stringify(meta));
  await writeAtomic(join(dir, `${name}.png`), await pngBytes(to8bit(r), r.width, r.height));
  return { name: `${name}.png`, meta };
}

export function startDemoFeed(opts: DemoFeedOptions): { stop(): Promise<void> } {
  const { dir, intervalMs, seed, size, keep, log } = opts;
  if (!(intervalMs > 0)) throw new Error(`demo feed intervalMs must be > 0, got ${intervalMs}`);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let index = 0;
  let inFlight: Promise<void> = Promise.resolve();

  const tick = async (): Promise<void> => {
    const started = Date.now();
    try {
      const { name, meta } = await writeDemoImage(dir, seed, index, size);
      log.debug('demo image written', { file: name, ms: Date.now() - started, defocus_nm: meta.defocus_nm, dose: meta.dose, astig_nm: meta.astig_nm, badness: meta.badness, cavities: meta.cavities_visible });
      if (index > keep) await dropDemoImage(dir, index - keep);
      index++;
    } catch (err) {
      log.error('demo image failed', { err });
    }
    if (!stopped) timer = setTimeout(() => { inFlight = tick(); }, Math.max(0, intervalMs - (Date.now() - started)));
  };

  inFlight = (async () => {
    try {
      await ensureDir(dir);
      index = await nextIndex(dir);
      log.info('demo feed started', { dir, intervalMs, seed, size, firstIndex: index, cycle: CYCLE });
    } catch (err) {
      log.error('demo feed cannot use its directory', { dir, err });
      stopped = true;
      return;
    }
    if (!stopped) await tick();
  })();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
      log.info('demo feed stopped', { dir });
    },
  };
}
