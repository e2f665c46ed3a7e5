/**
 * Watch: finds new images in the acquisition directory. chokidar (inotify, or polling for
 * network shares) reports files only once their size has been stable for `stableMs`, since
 * cameras write large frames slowly; temp names (.part, dot-files, ~lock) are skipped, and
 * the catch-up scan lists what arrived while the agent was down.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import chokidar, { type FSWatcher } from 'chokidar';
import type { Logger } from '../log.js';

export interface WatchOptions {
  dir: string;
  extensions: readonly string[];
  ignorePrefixes: readonly string[];
  ignoreSuffixes: readonly string[];
  stableMs: number;
  pollMs: number;
  usePolling: boolean;
}

/** An image file that looks complete, identified by path, size and mtime. */
export interface ImageFile {
  path: string;
  /** Path relative to the watched directory: what results show and the journal keys on. */
  rel: string;
  size: number;
  mtimeMs: number;
}

/** Journal key: a rewritten file (new size or mtime) is a new image; an unchanged one is not. */
export function imageKey(f: ImageFile): string {
  return `${f.rel}|${f.size}|${Math.round(f.mtimeMs)}`;
}

function isTempName(name: string, o: Pick<WatchOptions, 'ignorePrefixes' | 'ignoreSuffixes'>): boolean {
  return o.ignorePrefixes.some((p) => name.startsWith(p)) || o.ignoreSuffixes.some((s) => name.toLowerCase().endsWith(s));
}

export function isImagePath(path: string, o: Pick<WatchOptions, 'extensions' | 'ignorePrefixes' | 'ignoreSuffixes'>): boolean {
  const name = basename(path);
  return !isTempName(name, o) && o.extensions.includes(extname(name).toLowerCase());
}

/**
 * Every image under dir, oldest first (then by name), for the catch-up at start and the
 * rescan after the queue overflowed. Unreadable subdirectories are logged and skipped.
 */
export async function scanDir(o: WatchOptions, log: Logger): Promise<ImageFile[]> {
  const found: ImageFile[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      log.warn('cannot list directory', { dir, error: err });
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory() && !isTempName(e.name, o)) await walk(p);
      else if (e.isFile() && isImagePath(p, o)) {
        const s = await stat(p).catch(() => null);
        if (s) found.push({ path: p, rel: relative(o.dir, p), size: s.size, mtimeMs: s.mtimeMs });
      }
    }
  };
  await walk(o.dir);
  return found.sort((a, b) => a.mtimeMs - b.mtimeMs || a.rel.localeCompare(b.rel));
}

export interface Watcher {
  close(): Promise<void>;
}

/** Starts watching; resolves once chokidar has set up its watches (files added after that are seen). */
export async function startWatcher(o: WatchOptions, onFile: (f: ImageFile) => void, log: Logger): Promise<Watcher> {
  const watcher: FSWatcher = chokidar.watch(o.dir, {
    ignoreInitial: true, // the catch-up scan handles what is already there, in order
    persistent: true,
    usePolling: o.usePolling,
    interval: o.pollMs,
    // Only skip temp names here; extension filtering happens on events so directories are still walked.
    ignored: (p: string) => p !== o.dir && isTempName(basename(p), o),
    awaitWriteFinish: { stabilityThreshold: o.stableMs, pollInterval: o.pollMs },
  });
  const emit = (path: string, s?: { size: number; mtimeMs: number }) => {
    if (!isImagePath(path, o)) return;
    const report = (st: { size: number; mtimeMs: number }) => onFile({ path, rel: relative(o.dir, path), size: st.size, mtimeMs: st.mtimeMs });
    if (s) report(s);
    else stat(path).then(report, (err) => log.warn('file vanished before it could be read', { path, error: err }));
  };
  watcher.on('add', emit);
  watcher.on('change', emit);
  watcher.on('error', (err) => log.error('watcher error', { dir: o.dir, error: err }));
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  log.info('watching', { dir: o.dir, polling: o.usePolling, stable_ms: o.stableMs });
  return { close: () => watcher.close() };
}
