/**
 * The defocus a detector was trained on, for the alert hint ("the detector was trained on
 * -0.5..-2 um"). From the detector's manifest (`<model>.manifest.json` beside the ONNX file):
 * `training.defocus_um` [lo, hi] when the manifest states it; else, for a detector trained on
 * the simulator's presets (`training.presets`), the range those presets draw defocus from,
 * read off the presets themselves (agent/sim/presets.ts) so it cannot drift from them.
 * Null when neither is there (a user's own detector): the hint then gives the measurement alone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { drawParams, PRESETS } from '../sim/presets.js';
import { createRng } from '../sim/rng.js';

/** Signed µm ranges per focus side; null where the training had none of that side. */
export interface DefocusRange { under: [number, number] | null; over: [number, number] | null; source: string }

export function trainingDefocusRange(modelPath: string): DefocusRange | null {
  const file = modelPath.replace(/\.onnx$/i, '') + '.manifest.json';
  if (!existsSync(file)) return null;
  let training: { defocus_um?: unknown; presets?: unknown } | undefined;
  try { training = (JSON.parse(readFileSync(file, 'utf8')) as { training?: typeof training }).training; }
  catch { return null; } // an unreadable manifest only costs the hint its range
  const stated = training?.defocus_um;
  if (Array.isArray(stated) && stated.length === 2 && stated.every((x) => typeof x === 'number')) return split(stated as number[], `${file} training.defocus_um`);
  const presets = Array.isArray(training?.presets) ? (training!.presets as unknown[]).filter((p): p is string => typeof p === 'string' && p in PRESETS) : [];
  if (!presets.length) return null;
  const values: number[] = [];
  for (const p of presets) {
    const rng = createRng(1);
    for (let i = 0; i < 400; i++) values.push(drawParams(p, rng, 64).optics.defocusNm / 1000);
  }
  return split(values, `${file} training.presets (${presets.join(', ')})`);
}

function split(values: number[], source: string): DefocusRange {
  const under = values.filter((v) => v < 0), over = values.filter((v) => v > 0);
  const range = (xs: number[]): [number, number] | null => (xs.length ? [round1(Math.min(...xs)), round1(Math.max(...xs))] : null);
  return { under: range(under), over: range(over), source };
}

function round1(x: number): number { return Math.round(x * 10) / 10; }

/** "under-focus -2.1 um, the detector was trained on -2..-0.5 um" (or within it, or on the other side only). */
export function defocusHint(defocusUm: number, range: DefocusRange | null): { text: string; outside: boolean } {
  const side = defocusUm < 0 ? 'under' : 'over';
  const said = `${side}-focus ${defocusUm > 0 ? '+' : ''}${defocusUm.toFixed(1)} um`;
  if (!range) return { text: `${said} measured`, outside: false };
  const r = range[side];
  const fmt = (x: [number, number]): string => `${x[0]}..${x[1]} um`;
  if (!r) {
    const other = range[side === 'under' ? 'over' : 'under'];
    return { text: `${said}, the detector was trained on ${side === 'under' ? 'over' : 'under'}-focus only${other ? ` (${fmt(other)})` : ''}`, outside: true };
  }
  const outside = defocusUm < r[0] || defocusUm > r[1];
  return { text: `${said}, the detector was trained on ${fmt(r)}${outside ? '' : ' (within it)'}`, outside };
}
