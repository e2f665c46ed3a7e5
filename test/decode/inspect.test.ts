/**
 * `temguard inspect`: the JSON line contract, refused content as one stderr line and a
 * non-zero exit, and (through the real CLI in a child process) no stack trace.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from '../../agent/commands/inspect.js';
import { writeDm, writeMrc } from '../formats/writers.js';

const dir = mkdtempSync(join(tmpdir(), 'temguard-inspect-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [], err: string[] = [];
  const code = await inspect(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, out, err };
}

test('prints one JSON line per file with the contract fields', async (t) => {
  const dm = join(dir, 'a b.dm4');
  writeFileSync(dm, writeDm({ version: 4, images: [{ width: 3, height: 2, dataType: 10, values: [0, 10, 20, 30, 40, 65535], calibration: [{ scale: 2, origin: 0, units: '\u00c5' }, { scale: 2, origin: 0, units: '\u00c5' }] }] }));
  const mrc = join(dir, 'b.mrc');
  writeFileSync(mrc, writeMrc({ nx: 2, ny: 2, mode: 2, values: [-1, 0, 1, 4], cell: [20, 20, 10] }));
  const r = await run([dm, mrc]);
  t.is(r.code, 0);
  t.deepEqual(r.err, []);
  t.is(r.out.length, 2);
  const a = JSON.parse(r.out[0]!);
  t.deepEqual(Object.keys(a).sort(), ['dtype', 'file', 'format', 'height', 'max', 'mean', 'min', 'pixel_size', 'width']);
  t.like(a, { width: 3, height: 2, dtype: 'uint16', min: 0, max: 65535, format: 'dm4' });
  t.true(Math.abs(a.mean - (65535 + 100) / 6) < 1e-9);
  t.true(Math.abs(a.pixel_size.x - 0.2) < 1e-7 && a.pixel_size.unit === 'nm');
  t.like(JSON.parse(r.out[1]!), { width: 2, height: 2, dtype: 'float32', min: -1, max: 4, mean: 1, format: 'mrc', pixel_size: { x: 1, y: 1, unit: 'nm' } });
});

test('refused content: one stderr line naming file and reason, exit 1, other files still printed', async (t) => {
  const rgb = join(dir, 'rgb.dm3');
  writeFileSync(rgb, writeDm({ version: 3, thumbnail: false, images: [{ width: 2, height: 2, dataType: 23, values: [1, 2, 3, 4] }] }));
  const fft = join(dir, 'fft.mrc');
  writeFileSync(fft, writeMrc({ nx: 2, ny: 2, mode: 4, values: new Array(8).fill(1) }));
  const ok = join(dir, 'ok.mrc');
  writeFileSync(ok, writeMrc({ nx: 2, ny: 2, mode: 1, values: [1, 2, 3, 4] }));
  const r = await run([rgb, fft, ok]);
  t.is(r.code, 1);
  t.is(r.out.length, 1);
  t.is(r.err.length, 2);
  t.regex(r.err[0]!, /rgb\.dm3: .*RGBA.*\[unsupported\]$/);
  t.regex(r.err[1]!, /fft\.mrc: .*complex.*\[unsupported\]$/);
});

test('through the CLI: usage error exits 2, garbage exits 1 with one line and no stack trace', (t) => {
  const garbage = join(dir, 'garbage.tif');
  writeFileSync(garbage, Buffer.from('MM\0*' + 'x'.repeat(100)));
  const cli = join(process.cwd(), 'agent', 'cli.ts');
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'inspect', garbage], { encoding: 'utf8' });
  t.is(r.status, 1);
  t.is(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  t.is(lines.length, 1, r.stderr);
  t.regex(lines[0]!, /^temguard inspect: .*garbage\.tif: .*\[(corrupt|truncated)\]$/);
  t.false(/\n\s+at /.test(r.stderr));
  const u = spawnSync(process.execPath, ['--import', 'tsx', cli, 'inspect'], { encoding: 'utf8' });
  t.is(u.status, 2);
  t.regex(u.stderr, /no file given/);
});
