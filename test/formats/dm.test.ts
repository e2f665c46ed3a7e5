/**
 * DM3/DM4 reader on files made by the test writer: every real pixel type in both byte
 * orders, thumbnail skipped, multi-image files, stacks, calibration units, and the kinds of
 * content that must be refused (RGB, complex, spectra).
 */
import test from 'ava';
import { readDm } from '../../agent/formats/dm.js';
import { child, parseDm } from '../../agent/formats/dm-tags.js';
import { DecodeError } from '../../agent/formats/errors.js';
import { bufferSource } from '../../agent/formats/source.js';
import { writeDm, type DmImageSpec } from './writers.js';

const MAX = 1 << 24;
const W = 7, H = 5;

function values(n: number, lo: number, hi: number): number[] {
  return Array.from({ length: n }, (_, i) => (i === 0 ? lo : i === 1 ? hi : lo + ((i * 7919) % (hi - lo + 1))));
}

const TYPES: Array<[code: number, dtype: string, lo: number, hi: number]> = [
  [1, 'int16', -32768, 32767], [2, 'float32', -1000, 1000], [6, 'uint8', 0, 255], [7, 'int32', -2e6, 2e6],
  [9, 'int8', -128, 127], [10, 'uint16', 0, 65535], [11, 'uint32', 0, 4e6], [12, 'float64', -5e5, 5e5],
];

for (const version of [3, 4] as const) {
  for (const littleEndian of [true, false]) {
    for (const [code, dtype, lo, hi] of TYPES) {
      test(`DM${version} ${littleEndian ? 'LE' : 'BE'} DataType ${code} (${dtype}) reads exactly`, (t) => {
        const v = values(W * H, lo, hi);
        const file = writeDm({ version, littleEndian, images: [{ width: W, height: H, dataType: code, values: v }] });
        const img = readDm(bufferSource(file), { maxPixels: MAX });
        t.is(img.format, `dm${version}`);
        t.is(img.dtype, dtype as never);
        t.deepEqual([img.width, img.height], [W, H]);
        t.deepEqual(Array.from(img.data), v.map(Math.fround));
        t.is(img.imageIndex, 1, 'the thumbnail (index 0) is skipped');
        t.is(img.min, lo);
        t.is(img.max, hi);
      });
    }
  }
}

const calibrated = (units: string, scale = 0.5): DmImageSpec['calibration'] => [
  { scale, origin: 3, units }, { scale: scale * 2, origin: -1, units }, { scale: 1, origin: 0, units: '' },
];

test('calibration: scale per axis in nm, µm and Å converted to nm; origin kept raw', (t) => {
  const v = values(W * H, 0, 100);
  const nm = readDm(bufferSource(writeDm({ version: 4, images: [{ width: W, height: H, dataType: 10, values: v, calibration: calibrated('nm')!.slice(0, 2) }] })), { maxPixels: MAX });
  t.deepEqual(nm.pixelSize, { x: 0.5, y: 1, unit: 'nm' });
  t.is(nm.calibration[0]!.origin, 3);
  const um = readDm(bufferSource(writeDm({ version: 3, images: [{ width: W, height: H, dataType: 10, values: v, calibration: calibrated('\u00b5m', 0.25)!.slice(0, 2) }] })), { maxPixels: MAX });
  t.deepEqual(um.pixelSize, { x: 250, y: 500, unit: 'nm' });
  const a = readDm(bufferSource(writeDm({ version: 3, images: [{ width: W, height: H, dataType: 10, values: v, calibration: calibrated('\u00c5', 2)!.slice(0, 2) }] })), { maxPixels: MAX });
  t.true(Math.abs(a.pixelSize!.x - 0.2) < 1e-7 && Math.abs(a.pixelSize!.y - 0.4) < 1e-7);
  const recip = readDm(bufferSource(writeDm({ version: 3, images: [{ width: W, height: H, dataType: 10, values: v, calibration: calibrated('1/nm')!.slice(0, 2) }] })), { maxPixels: MAX });
  t.is(recip.pixelSize, null, 'a diffraction pattern has no real-space pixel size');
  t.is(recip.calibration[0]!.units, '1/nm');
  const none = readDm(bufferSource(writeDm({ version: 4, images: [{ width: W, height: H, dataType: 10, values: v }] })), { maxPixels: MAX });
  t.is(none.pixelSize, null);
});

test('multi-image file: the largest image after the thumbnail is the main one', (t) => {
  const small = { width: 3, height: 3, dataType: 6, values: values(9, 0, 9) };
  const big = { width: W, height: H, dataType: 2, values: values(W * H, -5, 5) };
  const img = readDm(bufferSource(writeDm({ version: 4, images: [small, big, small] })), { maxPixels: MAX });
  t.is(img.imageIndex, 2);
  t.deepEqual([img.width, img.height, img.dtype], [W, H, 'float32']);
  const unlisted = readDm(bufferSource(writeDm({ version: 3, listThumbnails: false, images: [small, big] })), { maxPixels: MAX });
  t.is(unlisted.imageIndex, 2, 'without a Thumbnails group the first image is the thumbnail');
  const thumbOnly = writeDm({ version: 3, images: [] });
  t.regex(codeOf(() => readDm(bufferSource(thumbOnly), { maxPixels: MAX })), /^unsupported: .*only a thumbnail/);
  const only = readDm(bufferSource(writeDm({ version: 3, thumbnail: false, images: [small] })), { maxPixels: MAX });
  t.is(only.imageIndex, 0, 'a file with one image has no thumbnail to skip');
});

test('stack: the first frame is returned, the frame count is reported', (t) => {
  const frames = 4;
  const v = values(W * H * frames, 0, 60000);
  const img = readDm(bufferSource(writeDm({ version: 4, images: [{ width: W, height: H, frames, dataType: 10, values: v, calibration: calibrated('nm') }] })), { maxPixels: MAX });
  t.is(img.frames, frames);
  t.deepEqual(Array.from(img.data), v.slice(0, W * H));
});

function codeOf(fn: () => unknown): string {
  try { fn(); return 'ok'; } catch (err) {
    if (err instanceof DecodeError) return `${err.code}: ${err.message}`;
    throw err;
  }
}

test('refused content: RGB, complex, 1-D spectra, spectrum images; each named in the error', (t) => {
  const rgb = writeDm({ version: 3, thumbnail: false, images: [{ width: W, height: H, dataType: 23, values: values(W * H, 0, 1000) }] });
  t.regex(codeOf(() => readDm(bufferSource(rgb), { maxPixels: MAX })), /^unsupported: .*RGBA/);
  const fft = writeDm({ version: 4, images: [{ width: W, height: H, dataType: 3, values: values(W * H * 2, 0, 10) }] });
  t.regex(codeOf(() => readDm(bufferSource(fft), { maxPixels: MAX })), /^unsupported: .*complex/);
  const spectrum = writeDm({ version: 3, images: [{ width: 64, height: 1, dims: [64], dataType: 2, values: values(64, 0, 10), calibration: [{ scale: 1, origin: 0, units: 'eV' }] }] });
  t.regex(codeOf(() => readDm(bufferSource(spectrum), { maxPixels: MAX })), /^unsupported: .*1-dimensional/);
  const si = writeDm({ version: 4, images: [{ width: 3, height: 2, frames: 5, dataType: 2, values: values(30, 0, 10), calibration: [{ scale: 1, origin: 0, units: 'nm' }, { scale: 1, origin: 0, units: 'nm' }, { scale: 0.5, origin: 0, units: 'eV' }] }] });
  t.regex(codeOf(() => readDm(bufferSource(si), { maxPixels: MAX })), /^unsupported: .*spectrum image/);
});

test('absurd dimensions are refused before allocating; truncated data is "truncated"', (t) => {
  const file = writeDm({ version: 4, images: [{ width: W, height: H, dataType: 10, values: values(W * H, 0, 9) }] });
  t.regex(codeOf(() => readDm(bufferSource(file), { maxPixels: W * H - 1 })), /^too_large/);
  t.regex(codeOf(() => readDm(bufferSource(file.subarray(0, file.length - 40)), { maxPixels: MAX })), /^truncated/);
  t.regex(codeOf(() => readDm(bufferSource(file.subarray(0, 200)), { maxPixels: MAX })), /^truncated/);
});

test('string tags (type 18) are parsed and skipped correctly in both versions and byte orders', (t) => {
  for (const version of [3, 4] as const) {
    for (const littleEndian of [true, false]) {
      const v = values(W * H, 0, 999);
      const file = writeDm({ version, littleEndian, stringTag: 'Gatan K3 \u00b5m', images: [{ width: W, height: H, dataType: 10, values: v }] });
      const tree = parseDm(bufferSource(file));
      t.is(child(tree.root, 'Comment'), 'Gatan K3 \u00b5m');
      t.deepEqual(Array.from(readDm(bufferSource(file), { maxPixels: MAX }).data), v);
    }
  }
});
