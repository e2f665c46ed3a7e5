/**
 * Watch: finds new images in the acquisition directory. chokidar (inotify, or polling for
 * network shares) reports files only once their size has been stable for `stableMs`, since
 * cameras write large frames slowly; temp names (.part, dot-files, ~lock) are skipped, and
 * the catch-up scan lists what arrived while the agent was down.
 *
 * One symlink rule for the watcher and the scan (resolveEntry): directory symlinks are never
 * followed (`ln -s $W $W/loop` would otherwise repeat every image once per depth), a file
 * symlink is taken only when its real path is inside the watch directory, and it is then
 * reported under that real path, so a link and its target are one image. Refusals are logged
 * once per path.
 *
 * The directory itself may vanish (unmounted share, `rm -rf` and mkdir again): a check every
 * `checkMs` compares its identity (device, inode, birth time); when it is gone the watcher says so once
 * (onLost), waits for it, watches it again and calls onRestored, so the caller can rescan.
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join, relative, sep } from 'node:path';
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
  /** How often the directory's identity is checked (it may be deleted or replaced); default 2000 ms. */
  checkMs?: number;
}

const DEFAULT_CHECK_MS = 2000;

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

/** Logs each refused path once: a rescan or a repeated event must not repeat the line. */
class OnceLog {
  private readonly seen = new Set<string>();
  constructor(private readonly max = 10_000) {}
  warn(log: Logger, msg: string, path: string, fields: Record<string, unknown> = {}): void {
    if (this.seen.has(path)) return;
    if (this.seen.size >= this.max) this.seen.clear(); // bounded; at worst a line repeats
    this.seen.add(path);
    log.warn(msg, { path, ...fields });
  }
}

/** Per watch configuration (the daemon hands the scan and the watcher the same options object). */
const onceLogs = new WeakMap<WatchOptions, OnceLog>();
function onceLogFor(o: WatchOptions): OnceLog {
  let l = onceLogs.get(o);
  if (!l) { l = new OnceLog(); onceLogs.set(o, l); }
  return l;
}

function isInside(root: string, p: string): boolean {
  const r = relative(root, p);
  return r === '' || (!r.startsWith('..' + sep) && r !== '..' && !isAbsolute(r));
}

/**
 * The symlink rule. `path` is an entry in the tree (named as under o.dir); `realRoot` is
 * realpath(o.dir). Returns the image it stands for (under its real path), or null.
 */
async function resolveEntry(path: string, o: WatchOptions, realRoot: string, log: Logger): Promise<ImageFile | null> {
  const l = await lstat(path).catch(() => null);
  if (!l) return null;
  if (!l.isSymbolicLink()) {
    if (!l.isFile() || !isImagePath(path, o)) return null;
    return { path, rel: relative(o.dir, path), size: l.size, mtimeMs: l.mtimeMs };
  }
  const once = onceLogFor(o);
  const real = await realpath(path).catch((err: NodeJS.ErrnoException) => {
    // ELOOP (a link cycle) or a dangling link.
    if (isImagePath(path, o)) once.warn(log, 'not following a symlink that does not resolve', path, { error: err.code ?? err.message });
    return null;
  });
  if (!real) return null;
  const s = await stat(real).catch(() => null);
  if (!s) return null;
  if (s.isDirectory()) {
    once.warn(log, 'not following a directory symlink (loops and duplicates); link the files, or watch the target itself', path, { target: real });
    return null;
  }
  if (!isImagePath(path, o) || !s.isFile()) return null;
  if (!isInside(realRoot, real)) {
    once.warn(log, 'not following a file symlink that points outside the watch directory', path, { target: real });
    return null;
  }
  const rel = relative(realRoot, real);
  return { path: join(o.dir, rel), rel, size: s.size, mtimeMs: s.mtimeMs };
}

/**
 * Every image under dir, oldest first (then by name), for the catch-up at start and the
 * rescan after the queue overflowed. Unreadable subdirectories are logged and skipped.
 */
export async function scanDir(o: WatchOptions, log: Logger): Promise<ImageFile[]> {
  const realRoot = await realpath(o.dir).catch(() => o.dir);
  const found = new Map<string, ImageFile>(); // by rel: a symlink and its target are one image
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
      // Some network filesystems do not report entry types (DT_UNKNOWN): ask lstat.
      const unknown = !e.isFile() && !e.isDirectory() && !e.isSymbolicLink() && !e.isFIFO() && !e.isSocket() && !e.isBlockDevice() && !e.isCharacterDevice();
      const isDir = e.isDirectory() || (unknown && (await lstat(p).catch(() => null))?.isDirectory() === true);
      if (isDir) { if (!isTempName(e.name, o)) await walk(p); continue; }
      if (!e.isFile() && !e.isSymbolicLink() && !unknown) continue;
      if (isTempName(e.name, o)) continue;
      const f = await resolveEntry(p, o, realRoot, log);
      if (f) found.set(f.rel, f);
    }
  };
  await walk(o.dir);
  return [...found.values()].sort((a, b) => a.mtimeMs - b.mtimeMs || a.rel.localeCompare(b.rel));
}

export interface Watcher {
  close(): Promise<void>;
}

export interface WatchHooks {
  /** The directory is gone or was replaced: nothing is seen until it returns (said once). */
  onLost?(reason: string): void;
  /** It is back and watched again; files added meanwhile were not seen: rescan. */
  onRestored?(): void;
}

/** ext4 hands a recreated directory the same inode at once: the birth time tells them apart (0 where unsupported). */
interface DirId { dev: number; ino: number; birth: number }
async function dirIdentity(dir: string): Promise<DirId | string> {
  try {
    const s = await stat(dir);
    return s.isDirectory() ? { dev: s.dev, ino: s.ino, birth: s.birthtimeMs } : `${dir} is no longer a directory`;
  } catch (err) {
    return `${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}

/** Starts watching; resolves once chokidar has set up its watches (files added after that are seen). */
export async function startWatcher(o: WatchOptions, onFile: (f: ImageFile) => void, log: Logger, hooks: WatchHooks = {}): Promise<Watcher> {
  let current: { fsw: FSWatcher; id: DirId } | null = null;
  let lost: string | null = null;
  let closed = false;
  let checking = false;

  const arm = async (): Promise<void> => {
    const id = await dirIdentity(o.dir);
    if (typeof id === 'string') throw new Error(`watch.dir: ${id}`);
    const realRoot = await realpath(o.dir);
    const fsw = watchTree(o, realRoot, onFile, log, () => { void markLost(`${o.dir} was deleted`); });
    await new Promise<void>((resolve) => fsw.once('ready', () => resolve()));
    current = { fsw, id };
  };
  const markLost = async (reason: string): Promise<void> => {
    if (lost || closed) return;
    lost = reason;
    const c = current;
    current = null;
    await c?.fsw.close().catch(() => undefined);
    log.error('watch directory lost: nothing is processed until it is back (checked every few seconds)', { dir: o.dir, reason });
    hooks.onLost?.(reason);
  };
  const check = async (): Promise<void> => {
    if (closed || checking) return;
    checking = true;
    try {
      const id = await dirIdentity(o.dir);
      if (!lost) {
        if (typeof id === 'string') await markLost(id);
        else if (current && (id.dev !== current.id.dev || id.ino !== current.id.ino || id.birth !== current.id.birth)) await markLost(`${o.dir} was replaced (deleted and created again)`);
        return;
      }
      if (typeof id === 'string') return;
      await arm();
      if (closed) { await (current as { fsw: FSWatcher } | null)?.fsw.close(); return; }
      lost = null;
      log.info('watch directory is back; watching it again', { dir: o.dir });
      hooks.onRestored?.();
    } catch (err) {
      log.debug('watch directory check failed; trying again', { dir: o.dir, error: err });
    } finally {
      checking = false;
    }
  };

  await arm();
  const timer = setInterval(() => { void check(); }, o.checkMs ?? DEFAULT_CHECK_MS);
  timer.unref();
  log.info('watching', { dir: o.dir, polling: o.usePolling, stable_ms: o.stableMs });
  return {
    close: async () => {
      closed = true;
      clearInterval(timer);
      await (current as { fsw: FSWatcher } | null)?.fsw.close();
      current = null;
    },
  };
}

/** chokidar on the real directory, events mapped back to names under o.dir and through the symlink rule. */
function watchTree(o: WatchOptions, realRoot: string, onFile: (f: ImageFile) => void, log: Logger, onRootGone: () => void): FSWatcher {
  const fsw: FSWatcher = chokidar.watch(realRoot, {
    ignoreInitial: true, // the catch-up scan handles what is already there, in order
    persistent: true,
    usePolling: o.usePolling,
    interval: o.pollMs,
    followSymlinks: false, // links are judged by resolveEntry, the scan's rule
    // Only skip temp names here; extension filtering happens on events so directories are still walked.
    ignored: (p: string) => p !== realRoot && isTempName(basename(p), o),
    awaitWriteFinish: { stabilityThreshold: o.stableMs, pollInterval: o.pollMs },
  });
  // chokidar reports symlinks found by its initial walk despite ignoreInitial; what exists
  // before 'ready' is the catch-up scan's.
  let ready = false;
  fsw.once('ready', () => { ready = true; });
  const emit = (p: string) => {
    if (!ready) return;
    const path = join(o.dir, relative(realRoot, p));
    resolveEntry(path, o, realRoot, log).then((f) => { if (f) onFile(f); }, (err) => log.warn('file vanished before it could be read', { path, error: err }));
  };
  fsw.on('add', emit);
  fsw.on('change', emit);
  // Out of chokidar's handler: closing it from inside its own unlinkDir event leaks a native
  // fs.watch handle (seen here with chokidar 5), and the agent then never exits.
  fsw.on('unlinkDir', (p) => { if (p === realRoot) setTimeout(onRootGone, 50); });
  fsw.on('error', (err) => log.error('watcher error', { dir: o.dir, error: err }));
  return fsw;
}
