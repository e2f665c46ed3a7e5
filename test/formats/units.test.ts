/** Pure pieces of the readers: sniffing, unit conversion, globs, half floats, LZW, stats. */
import test from 'ava';
import { globToRegExp, nmPerUnit, overridePixelSize, pixelSizeNm } from '../../agent/formats/calibration.js';
import { lzwDecode } from '../../agent/formats/lzw.js';
import { halfToFloat, toFloatPixels } from '../../agent/formats/pixels.js';
import { sniffFormat } from '../../agent/formats/sniff.js';
import { toHalf } from './writers.js';

test('sniffFormat: magic bytes first, extension only for stamp-less MRC', (t) => {
  const b = (...x: number[]) => Uint8Array.from([...x, ...new Array(1100).fill(0)]);
  t.is(sniffFormat(b(0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10), '.tif'), 'png');
  t.is(sniffFormat(b(0xff, 0xd8, 0xff, 0xe0), '.png'), 'jpeg');
  t.is(sniffFormat(b(0x49, 0x49, 42, 0)), 'tiff');
  t.is(sniffFormat(b(0x4d, 0x4d, 0, 42)), 'tiff');
  t.is(sniffFormat(b(0, 0, 0, 3, 0, 0, 1, 0, 0, 0, 0, 1)), 'dm3');
  t.is(sniffFormat(b(0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1)), 'dm4');
  const mrc = b(); mrc.set([0x4d, 0x41, 0x50, 0x20], 208);
  t.is(sniffFormat(mrc, '.png'), 'mrc');
  t.is(sniffFormat(b(1, 2, 3, 4), '.mrc'), 'mrc');
  t.is(sniffFormat(b(1, 2, 3, 4), '.png'), 'unknown');
  t.is(sniffFormat(Uint8Array.from([1, 2]), '.mrc'), 'unknown');
});

test('units: lengths convert to nm, others are not a pixel size', (t) => {
  t.is(nmPerUnit('nm'), 1);
  t.is(nmPerUnit('\u00b5m'), 1000);
  t.is(nmPerUnit('\u03bcm'), 1000);
  t.is(nmPerUnit('\u00c5'), 0.1);
  t.is(nmPerUnit('\u212b'), 0.1);
  t.is(nmPerUnit(' um '), 1000);
  t.is(nmPerUnit('1/nm'), undefined);
  t.is(nmPerUnit(''), undefined);
  t.deepEqual(pixelSizeNm(2, 3, 'µm'), { x: 2000, y: 3000, unit: 'nm' });
  t.is(pixelSizeNm(0, 3, 'nm'), null);
  t.is(pixelSizeNm(NaN, 3, 'nm'), null);
});

test('globs match basenames literally except * ? [..]', (t) => {
  t.true(globToRegExp('*.tif').test('a b.tif'));
  t.false(globToRegExp('*.tif').test('a.tiff'));
  t.true(globToRegExp('img_??.png').test('img_01.png'));
  t.true(globToRegExp('[ab]*.mrc').test('b1.mrc'));
  t.false(globToRegExp('[!ab]*.mrc').test('b1.mrc'));
  t.true(globToRegExp('x+(1).png').test('x+(1).png'));
  t.deepEqual(overridePixelSize('k2_0001.tif', [{ pattern: 'k2_*', x: 1.5, y: 2 }]), { x: 1.5, y: 2, unit: 'nm' });
  t.is(overridePixelSize('other.tif', [{ pattern: 'k2_*', x: 1.5 }]), undefined);
});

test('half floats: normal, subnormal, zero, infinities, NaN', (t) => {
  for (const v of [0, 1, -2.5, 65504, 6.103515625e-5, 5.960464477539063e-8, 1000.5]) t.is(halfToFloat(toHalf(v)), v);
  t.is(halfToFloat(0x7c00), Infinity);
  t.is(halfToFloat(0xfc00), -Infinity);
  t.true(Number.isNaN(halfToFloat(0x7e00)));
});

test('LZW decodes a hand-made code stream (clear, literals, a new string, end)', (t) => {
  // Codes (9 bits, MSB first): 256 clear, 65 'A', 66 'B', 258 "AB", 257 end -> "ABAB".
  const codes = [256, 65, 66, 258, 257];
  const bits = codes.map((c) => c.toString(2).padStart(9, '0')).join('');
  const bytes = Uint8Array.from(bits.padEnd(Math.ceil(bits.length / 8) * 8, '0').match(/.{8}/g)!.map((s) => parseInt(s, 2)));
  t.deepEqual(Array.from(lzwDecode(bytes, 4)), [65, 66, 65, 66]);
  t.throws(() => lzwDecode(bytes, 6), { message: /ends after 4 of 6/ });
});

test('stats ignore NaN/Inf but keep them in the data; all-NaN is corrupt', (t) => {
  const p = toFloatPixels(Float32Array.from([1, NaN, 3, Infinity, -1]));
  t.deepEqual([p.min, p.max, p.mean], [-1, 3, 1]);
  t.true(Number.isNaN(p.data[1]!));
  t.throws(() => toFloatPixels(Float32Array.from([NaN, NaN])), { message: /no finite/ });
  const u = toFloatPixels(Uint32Array.from([4294967295, 0]));
  t.is(u.max, Math.fround(4294967295), 'stats describe the float32 data');
});

test('8/16-bit stats read word-wise: odd lengths, unaligned views, extremes anywhere', (t) => {
  for (const n of [1, 2, 3, 5, 8, 13, 1001]) {
    for (const offset of [0, 1, 2, 3]) {
      const buf = new ArrayBuffer(offset * 2 + n * 2 + 8);
      const u8 = new Uint8Array(buf, offset, n);
      const u16 = new Uint16Array(buf, offset * 2, n);
      u8.forEach((_, i) => { u8[i] = 100 + ((i * 37) % 50); });
      u8[n - 1] = 255; u8[Math.floor(n / 2)] = 3;
      let p = toFloatPixels(u8);
      const e8 = Array.from(u8);
      t.deepEqual([p.min, p.max], [Math.min(...e8), Math.max(...e8)], `u8 n=${n} offset=${offset}`);
      t.true(Math.abs(p.mean - e8.reduce((a, b) => a + b, 0) / n) < 1e-9);
      u16.forEach((_, i) => { u16[i] = 30000 + ((i * 977) % 3000); });
      u16[0] = 65535; u16[n - 1] = 0;
      p = toFloatPixels(u16);
      const e16 = Array.from(u16);
      t.deepEqual([p.min, p.max], n === 1 ? [0, 0] : [0, 65535], `u16 n=${n} offset=${offset}`);
      t.true(Math.abs(p.mean - e16.reduce((a, b) => a + b, 0) / n) < 1e-9);
      t.deepEqual(Array.from(p.data), e16);
    }
  }
});
