import test from 'ava';
import { mkdirSync, mkdtempSync, openSync, renameSync, utimesSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageKey, isImagePath, scanDir, startWatcher, type ImageFile, type WatchOptions } from '../../agent/pipeline/watch.js';
import { silentLogger } from '../../agent/log.js';
import { loadConfig } from '../../agent/config/load.js';
import { waitFor } from '../helpers/broker.js';

const c = loadConfig().watch;
const opts = (dir: string, stableMs = 300): WatchOptions => ({ dir, extensions: c.extensions, ignorePrefixes: c.ignore_prefixes, ignoreSuffixes: c.ignore_suffixes, stableMs, pollMs: 50, usePolling: false });

test('image names: extensions case-insensitive, temp names ignored, spaces fine', (t) => {
  const o = opts('/x');
  t.true(isImagePath('/x/100dpa Voids2 over 512.png', o));
  t.true(isImagePath('/x/a/B.TIF', o));
  t.true(isImagePath('/x/scan.dm4', o));
  t.false(isImagePath('/x/.a.png', o));
  t.false(isImagePath('/x/a.png.part', o));
  t.false(isImagePath('/x/~lock.tif', o));
  t.false(isImagePath('/x/notes.txt', o));
});

test('catch-up scan is recursive and oldest first', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-scan-'));
  mkdirSync(join(dir, 'sub'));
  const files = [['b.png', 3], ['sub/a.tif', 1], ['c.jpg', 2], ['skip.txt', 0], ['.hidden.png', 0]] as const;
  for (const [name, age] of files) {
    writeFileSync(join(dir, name), 'x');
    const when = new Date(Date.now() - (10 - age) * 1000);
    utimesSync(join(dir, name), when, when);
  }
  const found = await scanDir(opts(dir), silentLogger);
  t.deepEqual(found.map((f) => f.rel), ['sub/a.tif', 'c.jpg', 'b.png']);
});

test('a file written slowly is reported once, after it is complete; temp-then-rename is seen by its final name', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-watch-'));
  const seen: ImageFile[] = [];
  const w = await startWatcher(opts(dir, 400), (f) => seen.push(f), silentLogger);
  try {
    const fd = openSync(join(dir, 'slow.tif'), 'w');
    for (let i = 0; i < 5; i++) { writeSync(fd, Buffer.alloc(1000, i)); await new Promise((r) => setTimeout(r, 100)); }
    closeSync(fd);
    writeFileSync(join(dir, 'fast.png.part'), Buffer.alloc(2000));
    renameSync(join(dir, 'fast.png.part'), join(dir, 'fast.png'));
    await waitFor(() => seen.length >= 2, 10_000, 'both files reported');
    await new Promise((r) => setTimeout(r, 600));
    const slow = seen.filter((f) => f.rel === 'slow.tif');
    t.is(slow.length, 1);
    t.is(slow[0]!.size, 5000, 'reported only when complete');
    t.deepEqual(seen.map((f) => f.rel).sort(), ['fast.png', 'slow.tif']);
    t.not(imageKey(seen[0]!), imageKey(seen[1]!));
  } finally {
    await w.close();
  }
});
