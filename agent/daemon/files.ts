/** What the journal keys and retries by: file stamps and config hashes. */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ImageFile } from '../pipeline/watch.js';

/** What the journal compares to retry an io error: a chmod/chown (of the file or its directory) changes it. */
export function fileStamp(path: string): string {
  try {
    const s = statSync(path);
    const d = statSafe(resolve(path, '..'));
    return `${s.mode}|${s.uid}|${s.gid}|${d ? d.mode : '-'}`;
  } catch (err) {
    return `stat:${(err as NodeJS.ErrnoException).code ?? 'error'}`;
  }
}

/** Config errors are retried when this changes (at a start with a different config). */
export function hashConfig(cfg: object): string {
  return createHash('sha256').update(JSON.stringify(cfg)).digest('hex').slice(0, 16);
}

/** The file as it is now (a retry may have waited for the writer). */
export function restat(f: ImageFile): ImageFile {
  const s = statSafe(f.path);
  return s ? { ...f, size: s.size, mtimeMs: s.mtimeMs } : f;
}

export function statSafe(p: string) {
  try { return statSync(p); } catch { return null; }
}

export function round4(x: number): number { return Math.round(x * 1e4) / 1e4; }
