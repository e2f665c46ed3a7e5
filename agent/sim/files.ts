/**
 * File helpers shared by the simulate command and the demo feeder.
 */
import { mkdir, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Creates `dir` (and missing parents). When the parent already exists a plain mkdir is used:
 * Node's recursive mkdir spins forever on some pseudo-filesystems (seen with /proc/x), whereas
 * the plain call fails at once with a clear error.
 */
export async function ensureDir(dir: string): Promise<void> {
  const s = await stat(dir).catch(() => null);
  if (s) {
    if (!s.isDirectory()) throw new Error(`${dir} exists and is not a directory`);
    return;
  }
  const parent = await stat(dirname(dir)).catch(() => null);
  if (parent?.isDirectory()) await mkdir(dir);
  else await mkdir(dir, { recursive: true });
}

/** Writes `.name.part` in the same directory, then renames: a watcher never sees half a file. */
export async function writeAtomic(path: string, data: Buffer | string): Promise<void> {
  const part = join(dirname(path), `.${basename(path)}.part`);
  await writeFile(part, data);
  await rename(part, path);
}
