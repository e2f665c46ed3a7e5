/**
 * Images for end-to-end tests: real TEM images from ../shared/data/tem when present, else
 * simulated ones written by the project's own `simulate` command (a fresh clone has no
 * ../shared, and the tests must pass there too).
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulate } from '../../agent/commands/simulate.js';
import { temImages } from './data.js';

let simulated: string[] | null = null;

async function simulatedImages(): Promise<string[]> {
  if (simulated) return simulated;
  const out = mkdtempSync(join(tmpdir(), 'tg-simimg-'));
  const code = await simulate(['--out', out, '--count', '6', '--seed', '7', '--size', '512'], { stdout: () => {}, stderr: () => {} });
  if (code !== 0) throw new Error(`simulate exited ${code}`);
  simulated = readdirSync(out).filter((f) => f.endsWith('.png')).sort().map((f) => join(out, f));
  return simulated;
}

/** n image paths (cycling through what is available). Real 1024² PNGs when shared/ exists. */
export async function sampleImages(n: number): Promise<string[]> {
  const real = temImages().filter((p) => p.endsWith('.png'));
  const pool = real.length ? real : await simulatedImages();
  return Array.from({ length: n }, (_, i) => pool[i % pool.length]!);
}
