import test from 'ava';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { simulate } from '../../agent/commands/simulate.js';
import { UsageError } from '../../agent/commands/command.js';
import { ROSE_K } from '../../agent/sim/labels.js';

const quiet = { stdout: () => {}, stderr: () => {} };

async function run(args: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'temguard-sim-'));
  const code = await simulate(['--out', dir, ...args], quiet);
  if (code !== 0) throw new Error(`simulate returned ${code}`);
  return dir;
}

test('same seed, same bytes; another seed, other bytes', async (t) => {
  const args = ['--count', '2', '--seed', '42', '--size', '128', '--mix', 'steel-under,he-bubbles'];
  const [a, b, c] = await Promise.all([run(args), run(args), run(['--count', '2', '--seed', '43', '--size', '128', '--mix', 'steel-under,he-bubbles'])]);
  const files = (await readdir(a)).sort();
  t.deepEqual(files, ['annotations.json', 'metadata.jsonl', 'sim-000001.png', 'sim-000002.png']);
  t.deepEqual((await readdir(b)).sort(), files);
  for (const f of files) t.true((await readFile(join(a, f))).equals(await readFile(join(b, f))), f);
  t.false((await readFile(join(a, 'sim-000001.png'))).equals(await readFile(join(c, 'sim-000001.png'))));
  await Promise.all([a, b, c].map((d) => rm(d, { recursive: true })));
});

test('COCO file: standard keys, metadata per image, annotations refer to images', async (t) => {
  const dir = await run(['--count', '2', '--seed', '5', '--size', '128', '--focus', 'over']);
  const ds = JSON.parse(await readFile(join(dir, 'annotations.json'), 'utf8'));
  t.deepEqual(ds.categories.map((c: { id: number; name: string }) => [c.id, c.name]), [[1, 'cavity']]);
  t.is(ds.images.length, 2);
  for (const im of ds.images) {
    t.is(im.temguard.preset, 'steel-over');
    t.true(im.temguard.defocus_nm > 0);
    for (const k of ['defocus_nm', 'dose', 'pixel_size_nm', 'preset', 'seed', 'kV']) t.true(k in im.temguard, k);
    const meta = await sharp(join(dir, im.file_name)).metadata();
    t.is(meta.width, 128);
    t.is(meta.channels, 1);
  }
  for (const a of ds.annotations) {
    t.true(ds.images.some((im: { id: number }) => im.id === a.image_id));
    t.is(a.category_id, 1);
    t.true(a.segmentation[0].length >= 6 && a.bbox.length === 4 && a.area > 0);
    t.true(a.temguard.detectability >= ROSE_K, 'only visible cavities are annotations, each with its SNR');
  }
  const lines = (await readFile(join(dir, 'metadata.jsonl'), 'utf8')).trim().split('\n');
  t.is(lines.length, 2);
  await rm(dir, { recursive: true });
});

test('16-bit TIFF on request', async (t) => {
  const dir = await run(['--count', '1', '--seed', '9', '--size', '64', '--format', 'tiff16']);
  const meta = await sharp(join(dir, 'sim-000001.tif')).metadata();
  t.is(meta.format, 'tiff');
  t.is(meta.depth, 'ushort');
  await rm(dir, { recursive: true });
});

test('bad input: clear usage errors', async (t) => {
  await t.throwsAsync(simulate(['--out', '/tmp/x', '--count', '1'], quiet), { instanceOf: UsageError, message: /--seed is required/ });
  await t.throwsAsync(simulate(['--out', '/tmp/x', '--count', '1', '--seed', '1', '--preset', 'nope'], quiet), { instanceOf: UsageError, message: /unknown preset "nope"/ });
  await t.throwsAsync(simulate(['--out', '/tmp/x', '--count', '0', '--seed', '1'], quiet), { instanceOf: UsageError, message: /--count/ });
  await t.throwsAsync(simulate(['--out', '/tmp/x', '--count', '1', '--seed', '1', '--focus', 'sideways'], quiet), { instanceOf: UsageError, message: /--focus/ });
  await t.throwsAsync(simulate(['--out', '/tmp/x', '--count', '1', '--seed', '1', '--size', '8'], quiet), { instanceOf: UsageError, message: /--size/ });
  // An output path that is a file: a clear error, nothing written.
  const dir = await mkdtemp(join(tmpdir(), 'temguard-sim-'));
  const file = join(dir, 'a-file');
  await writeFile(file, 'x');
  await t.throwsAsync(simulate(['--out', file, '--count', '1', '--seed', '1'], quiet), { message: /exists and is not a directory/ });
  await rm(dir, { recursive: true });
});
