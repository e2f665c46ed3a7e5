import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProgress, formatDuration, progressLine, type ProgressSink } from '../../agent/progress.js';
import { main } from '../../agent/cli.js';

function sink(isTTY: boolean, columns = 120): ProgressSink & { out: string[] } {
  const out: string[] = [];
  return { out, isTTY, columns, write: (s) => { out.push(s); } };
}

test('progressLine: count, percentage, rate and ETA from the elapsed time', (t) => {
  // 10 of 40 in 5 s: 2/s, 30 left -> 15 s.
  t.is(progressLine({ label: 'score', total: 40, unit: 'images' }, 10, 5000), 'score [#####---------------] 10/40 images (25%) 2.0/s ETA 15s');
  t.is(progressLine({ label: 'train', unit: 'steps' }, 3, 1500), 'train 3 steps 2.0/s');
  t.is(progressLine({ label: 'x', total: 4 }, 4, 2000, true), 'x [####################] 4/4 items (100%) 2.0/s in 2s');
  t.is(formatDuration(185), '3m05s');
  t.is(formatDuration(3720), '1h02m');
});

test('TTY: one line redrawn with \\r, at most every redrawMs, ended by done()', (t) => {
  let now = 0;
  const s = sink(true);
  const p = createProgress(s, { label: 'simulate', total: 3, unit: 'images', now: () => now, redrawMs: 100 });
  now = 50; p.tick(); // too soon after the start: no redraw
  t.is(s.out.length, 0);
  now = 200; p.tick(1, 'sim-000002.png');
  t.is(s.out.length, 1);
  t.true(s.out[0]!.startsWith('\rsimulate ['));
  t.true(s.out[0]!.includes('2/3 images'));
  t.true(s.out[0]!.includes('| sim-000002.png'));
  t.false(s.out[0]!.includes('\n'));
  now = 300; p.tick(); p.done(); p.done();
  t.is(s.out.length, 3);
  t.true(s.out[2]!.endsWith('\n'));
  t.true(s.out[2]!.includes('3/3 images (100%)'));
});

test('TTY: the redrawn line is cut to the terminal width, so it never wraps', (t) => {
  const s = sink(true, 30);
  const p = createProgress(s, { label: 'simulate', total: 3, unit: 'images', now: () => 0 });
  p.tick(1, 'a long note that would wrap'); p.done();
  t.is(s.out.length, 1);
  t.is(s.out[0]!.replace(/^\r/, '').replace(/\x1b\[K\n$/, '').length, 29);
});

test('not a TTY: plain lines every everyMs, no carriage returns', (t) => {
  let now = 0;
  const s = sink(false);
  const p = createProgress(s, { label: 'dataset', total: 100, now: () => now, everyMs: 10_000 });
  for (let i = 0; i < 100; i++) { now += 250; p.tick(); }
  p.done();
  // 25 s: lines at 10 s and 20 s, then the final one.
  t.is(s.out.length, 3);
  for (const l of s.out) { t.false(l.includes('\r')); t.true(l.endsWith('\n')); }
  t.true(s.out[0]!.startsWith('dataset [########------------] 40/100'));
});

test('quiet or no sink: nothing at all', (t) => {
  const s = sink(true);
  const p = createProgress(s, { label: 'x', total: 2, quiet: true, now: () => 1e9 });
  p.tick(); p.tick(); p.done();
  t.deepEqual(s.out, []);
  const q = createProgress(null, { label: 'x' });
  q.tick(); q.done();
  t.notThrows(() => { q.tick(); q.done(); });
});

test('temguard simulate reports progress on the given sink, and --quiet silences it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tg-progress-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const s = sink(false);
  const lines: string[] = [];
  const code = await main(['simulate', '--out', join(dir, 'a'), '--count', '2', '--seed', '1', '--size', '64'], { stdout: (l) => lines.push(l), stderr: (l) => lines.push(l), progress: s });
  t.is(code, 0);
  t.is(s.out.length, 1); // fast: no periodic line, just the final one
  t.regex(s.out[0]!, /^simulate \[#{20}\] 2\/2 images \(100%\) [\d.]+\/s in \d+s\n$/);
  const q = sink(false);
  t.is(await main(['simulate', '--out', join(dir, 'b'), '--count', '2', '--seed', '1', '--size', '64', '--quiet'], { stdout: () => {}, stderr: () => {}, progress: q }), 0);
  t.deepEqual(q.out, []);
});
