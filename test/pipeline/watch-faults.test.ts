/**
 * The watcher under hostile layouts and faults (issue 14, items 3 and 4): a directory symlink
 * loop, symlinked files inside and outside the watch directory (one rule for the watcher and
 * the catch-up scan), and the watch directory deleted and recreated while watching.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanDir, startWatcher, type ImageFile, type WatchOptions } from '../../agent/pipeline/watch.js';
import { createLogger } from '../../agent/log.js';
import { loadConfig } from '../../agent/config/load.js';
import { waitFor } from '../helpers/broker.js';

const c = loadConfig().watch;
const opts = (dir: string): WatchOptions => ({ dir, extensions: c.extensions, ignorePrefixes: c.ignore_prefixes, ignoreSuffixes: c.ignore_suffixes, stableMs: 100, pollMs: 50, usePolling: false, checkMs: 100 });
const recordingLog = () => {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l)) }) };
};
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

/** The layout of the issue: two images, a loop, a symlink to an image inside and to one outside. */
function hostileLayout(): { dir: string; outside: string } {
  const dir = tmp('tg-sym-');
  const outside = tmp('tg-out-');
  writeFileSync(join(dir, 'a.png'), 'a');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'b.png'), 'b');
  writeFileSync(join(outside, 'secret.png'), 's');
  symlinkSync(dir, join(dir, 'dirloop'));
  symlinkSync(join(dir, 'sub'), join(dir, 'sub-again'));
  symlinkSync(join(dir, 'sub', 'b.png'), join(dir, 'link-to-b.png'));
  symlinkSync(join(outside, 'secret.png'), join(dir, 'escape.png'));
  return { dir, outside };
}

test('catch-up scan: directory symlinks are not followed, a file symlink inside counts once by its real path, one outside is refused and logged once', async (t) => {
  const { dir } = hostileLayout();
  writeFileSync(join(dir, 'only-by-link-target.dat'), 'x'); // a target with a non-image name, reached only through the link
  symlinkSync(join(dir, 'only-by-link-target.dat'), join(dir, 'via-link.tif'));
  const { lines, log } = recordingLog();
  const o = opts(dir);
  const found = await scanDir(o, log);
  t.deepEqual(found.map((f) => f.rel).sort(), ['a.png', 'only-by-link-target.dat', 'sub/b.png']);
  const refused = lines.filter((l) => String(l.msg).startsWith('not following'));
  t.is(refused.filter((l) => l.path === join(dir, 'escape.png')).length, 1, 'the escape is logged');
  t.is(refused.filter((l) => l.path === join(dir, 'dirloop')).length, 1, 'the loop is logged');
  await scanDir(o, log);
  t.is(lines.filter((l) => String(l.msg).startsWith('not following')).length, refused.length, 'a second scan does not log them again');
});

test('watcher: a directory symlink loop yields each image once (not once per depth); the symlink rule is the catch-up\'s', async (t) => {
  const { dir } = hostileLayout();
  const seen: ImageFile[] = [];
  const { lines, log } = recordingLog();
  const w = await startWatcher(opts(dir), (f) => seen.push(f), log);
  try {
    writeFileSync(join(dir, 'c.png'), 'c');
    writeFileSync(join(dir, 'sub', 'd.png'), 'd');
    symlinkSync(join(dir, 'c.png'), join(dir, 'link-to-c.png'));
    symlinkSync(join(tmpdir()), join(dir, 'late-dir-link'));
    // A sentinel written last: once it is reported, whatever the loop would have produced has been too.
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(join(dir, 'zz-sentinel.png'), 'z');
    await waitFor(() => seen.some((f) => f.rel === 'zz-sentinel.png'), 10_000, 'sentinel reported');
    await new Promise((r) => setTimeout(r, 300));
    const rels = seen.map((f) => f.rel);
    t.false(rels.some((r) => r.includes('dirloop') || r.includes('sub-again') || r.includes('late-dir-link')), `no path through a directory symlink: ${rels.join(', ')}`);
    t.deepEqual([...new Set(rels)].sort(), ['c.png', 'sub/d.png', 'zz-sentinel.png'], 'the link to c.png is reported as c.png (its real path)');
    t.true(seen.every((f) => f.path === join(dir, f.rel)));
    t.true(lines.some((l) => String(l.msg).startsWith('not following') && l.path === join(dir, 'late-dir-link')));
  } finally {
    await w.close();
  }
});

test('watcher: a file symlink pointing outside the watch directory is refused (logged once)', async (t) => {
  const dir = tmp('tg-esc-');
  const outside = tmp('tg-out-');
  writeFileSync(join(outside, 'passwd.png'), 'root:x:0:0');
  const seen: ImageFile[] = [];
  const { lines, log } = recordingLog();
  const w = await startWatcher(opts(dir), (f) => seen.push(f), log);
  try {
    symlinkSync(join(outside, 'passwd.png'), join(dir, 'passwd.png'));
    await waitFor(() => lines.some((l) => String(l.msg).startsWith('not following') && l.path === join(dir, 'passwd.png')), 10_000, 'refusal logged');
    writeFileSync(join(dir, 'zz.png'), 'z');
    await waitFor(() => seen.length > 0, 10_000, 'sentinel');
    t.deepEqual(seen.map((f) => f.rel), ['zz.png']);
  } finally {
    await w.close();
  }
});

test('watcher: the watch directory deleted and recreated is reported once (lost, then back) and watched again', async (t) => {
  const parent = tmp('tg-gone-');
  const dir = join(parent, 'acq');
  mkdirSync(dir);
  const seen: ImageFile[] = [];
  const events: string[] = [];
  const { lines, log } = recordingLog();
  const w = await startWatcher(opts(dir), (f) => seen.push(f), log, {
    onLost: (reason) => events.push(`lost: ${reason}`),
    onRestored: () => events.push('back'),
  });
  try {
    writeFileSync(join(dir, 'before.png'), 'x');
    await waitFor(() => seen.length === 1, 10_000, 'first file');
    rmSync(dir, { recursive: true });
    await waitFor(() => events.length === 1, 10_000, 'lost reported');
    t.regex(events[0]!, /^lost: .*acq/);
    await new Promise((r) => setTimeout(r, 400)); // several checks while it is gone: still one report
    t.is(events.length, 1);
    mkdirSync(dir);
    await waitFor(() => events.length === 2, 10_000, 'back reported');
    t.is(events[1], 'back');
    writeFileSync(join(dir, 'after.png'), 'y');
    await waitFor(() => seen.some((f) => f.rel === 'after.png'), 10_000, 'a file written after the directory returned');
    t.is(lines.filter((l) => l.level === 'error' && /watch directory/.test(String(l.msg))).length, 1, 'one error line for the loss');
  } finally {
    await w.close();
  }
});

test('watcher: a directory removed and recreated between two checks (new inode) is re-watched', async (t) => {
  const parent = tmp('tg-swap-');
  const dir = join(parent, 'acq');
  mkdirSync(dir);
  const seen: ImageFile[] = [];
  const events: string[] = [];
  const w = await startWatcher(opts(dir), (f) => seen.push(f), recordingLog().log, { onLost: () => events.push('lost'), onRestored: () => events.push('back') });
  try {
    rmSync(dir, { recursive: true });
    mkdirSync(dir);
    await waitFor(() => events.includes('back'), 10_000, 'back reported');
    writeFileSync(join(dir, 'new.png'), 'n');
    await waitFor(() => seen.some((f) => f.rel === 'new.png'), 10_000, 'file in the new directory');
    t.deepEqual(events, ['lost', 'back']);
  } finally {
    await w.close();
  }
});
