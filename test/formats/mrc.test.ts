/**
 * MRC2014 reader on files made by the test writer: modes 0/1/2/6/12 in both byte orders,
 * extended headers, stacks, a blank MACHST stamp, refused modes, bad headers.
 */
import test from 'ava';
import { DecodeError } from '../../agent/formats/errors.js';
import { readMrc } from '../../agent/formats/mrc.js';
import { bufferSource } from '../../agent/formats/source.js';
import { writeMrc, type MrcSpec } from './writers.js';

const MAX = 1 << 24;
const NX = 9, NY = 4;

const MODES: Array<[mode: MrcSpec['mode'], dtype: string, lo: number, hi: number]> = [
  [0, 'int8', -128, 127], [1, 'int16', -32768, 32767], [2, 'float32', -3.5, 1e6], [6, 'uint16', 0, 65535], [12, 'float16', -2048, 2048],
];

function values(n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, (_, i) => (i === 0 ? lo : i === 1 ? hi : Math.round(lo + ((i * 7919) % (hi - lo + 1)))));
}

for (const littleEndian of [true, false]) {
  for (const [mode, dtype, lo, hi] of MODES) {
    for (const extended of [0, 96 * 3]) {
      test(`mode ${mode} (${dtype}) ${littleEndian ? 'LE' : 'BE'}${extended ? ' with extended header' : ''}`, (t) => {
        const v = values(NX * NY, lo, hi);
        const img = readMrc(bufferSource(writeMrc({ nx: NX, ny: NY, mode, values: v, littleEndian, extended, cell: [NX * 4.2, NY * 4.2, 4.2] })), { maxPixels: MAX });
        t.is(img.dtype, dtype as never);
        t.is(img.littleEndian, littleEndian);
        t.deepEqual([img.width, img.height, img.frames], [NX, NY, 1]);
        t.deepEqual(Array.from(img.data), v.map(Math.fround));
        t.true(Math.abs(img.pixelSize!.x - 0.42) < 1e-6 && Math.abs(img.pixelSize!.y - 0.42) < 1e-6);
        t.is(img.pixelSize!.unit, 'nm');
      });
    }
  }
}

test('stack: first section; blank MACHST: byte order from the header itself; no cell: no pixel size', (t) => {
  const v = values(NX * NY * 3, 0, 60000);
  for (const littleEndian of [true, false]) {
    const img = readMrc(bufferSource(writeMrc({ nx: NX, ny: NY, nz: 3, mode: 6, values: v, littleEndian, blankStamp: true })), { maxPixels: MAX });
    t.is(img.frames, 3);
    t.is(img.littleEndian, littleEndian);
    t.deepEqual(Array.from(img.data), v.slice(0, NX * NY));
    t.is(img.pixelSize, null);
  }
});

function codeOf(fn: () => unknown): string {
  try { fn(); return 'ok'; } catch (err) {
    if (err instanceof DecodeError) return `${err.code}: ${err.message}`;
    throw err;
  }
}

test('complex and RGB modes are refused by name; huge NX*NY before allocating; truncated data', (t) => {
  t.regex(codeOf(() => readMrc(bufferSource(writeMrc({ nx: 2, ny: 2, mode: 4, values: values(8, 0, 5) })), { maxPixels: MAX })), /^unsupported: MRC mode 4: complex/);
  t.regex(codeOf(() => readMrc(bufferSource(writeMrc({ nx: 2, ny: 2, mode: 16, values: values(12, 0, 5) })), { maxPixels: MAX })), /^unsupported: MRC mode 16: RGB/);
  const huge = writeMrc({ nx: 2, ny: 2, mode: 2, values: values(4, 0, 5) });
  huge.writeInt32LE(200000, 0); huge.writeInt32LE(200000, 4);
  t.regex(codeOf(() => readMrc(bufferSource(huge), { maxPixels: MAX })), /^too_large/);
  const file = writeMrc({ nx: NX, ny: NY, mode: 2, values: values(NX * NY, 0, 5) });
  t.regex(codeOf(() => readMrc(bufferSource(file.subarray(0, file.length - 1)), { maxPixels: MAX })), /^truncated/);
  t.regex(codeOf(() => readMrc(bufferSource(file.subarray(0, 500)), { maxPixels: MAX })), /^truncated/);
  const garbage = Buffer.alloc(2048, 0xff);
  t.regex(codeOf(() => readMrc(bufferSource(garbage), { maxPixels: MAX })), /^corrupt/);
});

test('images larger than one read chunk (1 MiB): every sample and the stats survive chunking', (t) => {
  const nx = 1031, ny = 613; // 2 bytes * 632k samples: two chunks and a ragged tail
  const n = nx * ny;
  const cases: Array<[MrcSpec['mode'], boolean, (i: number) => number]> = [
    [1, false, (i) => ((i * 7919) % 60000) - 30000],
    [6, true, (i) => (i * 104729) % 65536],
    [2, true, (i) => Math.fround(Math.sin(i) * 1e4)],
    [2, false, (i) => Math.fround(Math.cos(i) * 3)],
    [12, true, (i) => (i % 2001) - 1000],
  ];
  for (const [mode, littleEndian, f] of cases) {
    const v = Array.from({ length: n }, (_, i) => f(i));
    const img = readMrc(bufferSource(writeMrc({ nx, ny, mode, values: v, littleEndian })), { maxPixels: MAX });
    let same = true, min = Infinity, max = -Infinity, sum = 0;
    for (let i = 0; i < n; i++) { if (img.data[i] !== v[i]) same = false; min = Math.min(min, v[i]!); max = Math.max(max, v[i]!); sum += v[i]!; }
    t.true(same, `mode ${mode} ${littleEndian ? 'LE' : 'BE'}: values`);
    t.deepEqual([img.min, img.max], [min, max], `mode ${mode}`);
    t.true(Math.abs(img.mean - sum / n) < 1e-6 * Math.max(1, Math.abs(sum / n)), `mode ${mode} mean`);
  }
});
