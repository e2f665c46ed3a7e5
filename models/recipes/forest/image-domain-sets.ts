/**
 * Which real images the image-domain reference is built from, and which judge it: the
 * adaptation cavity images and backgrounds of models/recipes/detector/real_split.json plus the
 * loops images (label-free use: pixels only) build it; the split's held-out entries never do.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeFile } from '../../../agent/pipeline/decode.js';
import { imageStatistics, type ImageStats } from '../../../agent/pipeline/image-stats.js';

export const REAL_SPLIT = 'models/recipes/detector/real_split.json';

interface RealSplit { adaptation: string[]; held_out: string[]; backgrounds_adaptation: string[]; backgrounds_held_out: string[] }

export function realSets(dataDir: string): { reference: Record<string, string[]>; heldOut: Record<string, string[]> } {
  const sp = JSON.parse(readFileSync(REAL_SPLIT, 'utf8')) as RealSplit;
  const at = (xs: string[]): string[] => xs.map((x) => join(dataDir, x));
  const loops = join(dataDir, 'loops/images');
  return {
    reference: { cavity_adaptation: at(sp.adaptation), backgrounds_adaptation: at(sp.backgrounds_adaptation), loops: readdirSync(loops).sort().map((f) => join(loops, f)) },
    heldOut: { cavity_held_out: at(sp.held_out), backgrounds_held_out: at(sp.backgrounds_held_out) },
  };
}

/** Image statistics of each file (null entries, frames below one spectrum tile, are dropped). */
export async function statsOf(paths: readonly string[]): Promise<Array<{ path: string; stats: ImageStats }>> {
  const out: Array<{ path: string; stats: ImageStats }> = [];
  for (const path of paths) {
    const stats = imageStatistics(await decodeFile(path));
    if (stats) out.push({ path, stats });
  }
  return out;
}
