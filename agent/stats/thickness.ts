/**
 * The foil thickness an image was taken at, for its swelling: a `temguard.json` sidecar in the
 * image's directory (`{"thickness_nm": 85}`: one foil per acquisition directory is how sessions
 * are laid out) wins over the `statistics.thickness_nm` config key. A sidecar that is not valid
 * JSON or has no positive number gives null with the reason (shown in the result), never a
 * crash and never the config's value as a silent stand-in.
 * Sidecars are re-read when their mtime changes: the operator may write one mid-session.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Thickness } from './image-stats.js';

export const SIDECAR_NAME = 'temguard.json';

export interface ThicknessSource { thicknessFor(imagePath: string): Thickness }

export function createThicknessSource(configNm: number | null): ThicknessSource {
  const cache = new Map<string, { mtimeMs: number; value: Thickness }>();
  return {
    thicknessFor(imagePath) {
      const file = join(dirname(imagePath), SIDECAR_NAME);
      let mtimeMs: number;
      try { mtimeMs = statSync(file).mtimeMs; } catch { return configNm === null ? { nm: null } : { nm: configNm, source: 'config' }; }
      const hit = cache.get(file);
      if (hit && hit.mtimeMs === mtimeMs) return hit.value;
      const value = readSidecar(file);
      cache.set(file, { mtimeMs, value });
      return value;
    },
  };
}

export function readSidecar(file: string): Thickness {
  let parsed: unknown;
  try { parsed = JSON.parse(readFileSync(file, 'utf8')); }
  catch (err) { return { nm: null, problem: `${file}: not readable JSON (${(err as Error).message})` }; }
  const v = (parsed as { thickness_nm?: unknown } | null)?.thickness_nm;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return { nm: null, problem: `${file}: thickness_nm must be a positive number of nm, got ${JSON.stringify(v)}` };
  return { nm: v, source: file };
}
