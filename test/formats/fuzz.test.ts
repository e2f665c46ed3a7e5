/**
 * Fuzzing: real files (the DM files in ../shared/data/dm, a real TEM PNG/JPEG, the committed
 * TIFF/MRC fixtures, and DM/MRC/TIFF files from our writers) mutated with a seeded PRNG:
 * bit flips, bytes set to 0/0xff/0x7f, words overwritten with huge values, truncation,
 * spliced and deleted ranges. Every outcome must be a Frame or a DecodeError: no other
 * exception, no hang (the readers' loops are bounded by file size and fixed caps), no
 * allocation beyond the pixel limit. The seed and mutation are in the assertion message
 * so a failure can be replayed.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { DecodeError, decodeFile } from '../../agent/pipeline/decode.js';
import { writeDm, writeMrc, writeTiff } from './writers.js';
import { rng } from '../../agent/learn/cart.js';

// The project's seeded PRNG (mulberry32), good enough to pick mutations.
const prng = rng;

function mutate(src: Buffer, rnd: () => number): { bytes: Buffer; what: string } {
  const b = Buffer.from(src);
  const at = (limit = b.length) => Math.floor(rnd() * limit);
  // Headers and tag trees live near the start: bias half of the mutations there.
  const pos = () => (rnd() < 0.5 ? at(Math.min(b.length, 2048)) : at());
  switch (Math.floor(rnd() * 6)) {
    case 0: { const n = 1 + at(8); for (let i = 0; i < n; i++) { const p = pos(); b[p]! ^= 1 << at(8); } return { bytes: b, what: `${n} bit flips` }; }
    case 1: { const p = pos(); const v = [0, 0xff, 0x7f, 0x80][at(4)]!; b[p] = v; return { bytes: b, what: `byte ${p} = ${v}` }; }
    case 2: { const p = Math.min(pos(), b.length - 4); if (p >= 0) b.writeUInt32BE([0xffffffff, 0x7fffffff, 0x10000, 0][at(4)]!, p); return { bytes: b, what: `word at ${p}` }; }
    case 3: { const n = at(); return { bytes: b.subarray(0, n), what: `truncated to ${n}` }; }
    case 4: { const p = pos(); const n = 1 + at(64); return { bytes: Buffer.concat([b.subarray(0, p), b.subarray(p + n)]), what: `deleted ${n} at ${p}` }; }
    default: { const p = pos(); const q = pos(); const n = 1 + at(64); return { bytes: Buffer.concat([b.subarray(0, p), b.subarray(q, q + n), b.subarray(p)]), what: `spliced ${n} from ${q} at ${p}` }; }
  }
}

function seeds(): Array<{ name: string; bytes: Buffer }> {
  const out: Array<{ name: string; bytes: Buffer }> = [];
  const dmDir = join(process.cwd(), '..', 'shared', 'data', 'dm');
  if (existsSync(dmDir)) for (const f of readdirSync(dmDir)) out.push({ name: f, bytes: readFileSync(join(dmDir, f)) });
  const tem = join(process.cwd(), '..', 'shared', 'data', 'tem');
  if (existsSync(tem)) {
    const pick = readdirSync(tem).filter((f) => /\.jpe?g$/i.test(f)).slice(0, 1).concat(readdirSync(tem).filter((f) => f.endsWith('.png')).slice(0, 1));
    for (const f of pick) out.push({ name: f, bytes: readFileSync(join(tem, f)) });
  }
  const fix = join(process.cwd(), 'test', 'fixtures', 'formats');
  for (const f of ['u16-lzw.tif', 'u16-tiled.tif', 'u16-deflate-pred.tif', 'u8-packbits.tif', 'stack-ext.mrc', 'mode12.mrc']) {
    if (existsSync(join(fix, f))) out.push({ name: f, bytes: readFileSync(join(fix, f)) });
  }
  const v = Array.from({ length: 24 * 16 }, (_, i) => (i * 37) % 1000);
  out.push({ name: 'w.dm4', bytes: writeDm({ version: 4, images: [{ width: 24, height: 16, dataType: 10, values: v, calibration: [{ scale: 0.3, origin: 0, units: 'nm' }, { scale: 0.3, origin: 0, units: 'nm' }] }] }) });
  out.push({ name: 'w.dm3', bytes: writeDm({ version: 3, littleEndian: false, images: [{ width: 24, height: 16, dataType: 2, values: v }] }) });
  out.push({ name: 'w.mrc', bytes: writeMrc({ nx: 24, ny: 16, mode: 1, values: v, extended: 64, cell: [24, 16, 1] }) });
  out.push({ name: 'w.tif', bytes: writeTiff({ width: 24, height: 16, dtype: 'float32', values: v, compression: 8, rowsPerStrip: 3, littleEndian: false }) });
  return out;
}

const CASES_PER_SEED = Number(process.env.FUZZ_CASES ?? 40);
const MAX_PIXELS = 4096 * 4096;

test(`fuzz: ${CASES_PER_SEED} mutations of each seed file end in a Frame or a DecodeError`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'temguard-fuzz-'));
  const outcomes: Record<string, number> = {};
  let total = 0;
  try {
    const all = seeds();
    t.true(all.length >= 8, 'enough seed files');
    for (const [k, seed] of all.entries()) {
      const rnd = prng(1000 + k);
      for (let i = 0; i < CASES_PER_SEED; i++) {
        const { bytes, what } = mutate(seed.bytes, rnd);
        const p = join(dir, `case${extname(seed.name) || '.bin'}`);
        writeFileSync(p, bytes);
        const label = `${seed.name} #${i} (${what})`;
        try {
          const f = await decodeFile(p, { maxPixels: MAX_PIXELS });
          if (f.data.length !== f.width * f.height || !(f.min <= f.max)) t.fail(`${label}: inconsistent frame`);
          outcomes.frame = (outcomes.frame ?? 0) + 1;
        } catch (err) {
          if (!(err instanceof DecodeError)) { t.fail(`${label}: threw ${String(err)}`); continue; }
          outcomes[err.code] = (outcomes[err.code] ?? 0) + 1;
        }
        total++;
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  t.log(`${total} cases:`, JSON.stringify(outcomes));
  t.true(total >= 400);
  t.true((outcomes.truncated ?? 0) > 0 && (outcomes.frame ?? 0) > 0, 'mutations both break and spare files');
});
