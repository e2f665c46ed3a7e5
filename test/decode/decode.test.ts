/**
 * The decode stage end to end on real files: PNG/JPEG/TIFF written by sharp and by our
 * TIFF writer, the real TEM images when ../shared/data is present, and every way a file
 * can be bad (empty, truncated, garbage, too large, misnamed, missing).
 */
import test from 'ava';
import { existsSync, mkdtempSync, rmSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { DecodeError, decodeFile, SUPPORTED_EXTENSIONS } from '../../agent/pipeline/decode.js';
import { writeTiff } from '../formats/writers.js';

const dir = mkdtempSync(join(tmpdir(), 'temguard-decode-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));
const W = 37, H = 23; // odd sizes catch stride mistakes

function ramp(n: number, f: (i: number) => number): number[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

async function code(p: Promise<unknown>): Promise<string> {
  try { await p; return 'ok'; } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    return err.code;
  }
}

const grey8 = ramp(W * H, (i) => (i * 7) % 256);

test('8-bit grey PNG: exact values, one channel, uint8, stats', async (t) => {
  const p = join(dir, 'g8.png');
  await sharp(Buffer.from(grey8), { raw: { width: W, height: H, channels: 1 } }).png().toFile(p);
  const f = await decodeFile(p);
  t.is(f.format, 'png');
  t.is(f.dtype, 'uint8');
  t.deepEqual([f.width, f.height], [W, H]);
  t.deepEqual(Array.from(f.data), grey8);
  t.is(f.min, Math.min(...grey8));
  t.is(f.max, Math.max(...grey8));
  t.true(Math.abs(f.mean - grey8.reduce((a, b) => a + b, 0) / grey8.length) < 1e-9);
  t.is(f.pixelSize, null);
});

test('RGB PNG with R=G=B (TEM saved as RGB) decodes to the same grey values', async (t) => {
  const p = join(dir, 'rgb-grey.png');
  const rgb = Buffer.alloc(W * H * 3);
  grey8.forEach((v, i) => rgb.fill(v, i * 3, i * 3 + 3));
  await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).png().toFile(p);
  const f = await decodeFile(p);
  t.deepEqual(Array.from(f.data), grey8);
  t.is(f.colourShare, 0, 'grey stored as RGB has no colour pixels');
});

test('a grey PNG carries no colour share; a grey frame through RGB JPEG keeps its chroma noise under the colour spread', async (t) => {
  const p = join(dir, 'grey.png');
  await sharp(Buffer.from(grey8), { raw: { width: W, height: H, channels: 1 } }).toColourspace('b-w').png().toFile(p);
  t.is((await decodeFile(p)).colourShare, undefined);
  const j = join(dir, 'grey-rgb.jpg');
  const rgb = Buffer.alloc(W * H * 3);
  grey8.forEach((v, i) => rgb.fill(v, i * 3, i * 3 + 3));
  await sharp(rgb, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 60, chromaSubsampling: '4:2:0' }).toFile(j);
  t.is((await sharp(j).metadata()).channels, 3, 'stored as three-component JPEG');
  t.is((await decodeFile(j)).colourShare, 0);
});

test('coloured RGBA PNG becomes grey by BT.601 luminance, alpha ignored', async (t) => {
  const p = join(dir, 'rgba.png');
  const px = Buffer.from([255, 0, 0, 128, 0, 255, 0, 255, 0, 0, 255, 0, 10, 20, 30, 255]);
  await sharp(px, { raw: { width: 2, height: 2, channels: 4 } }).png().toFile(p);
  const f = await decodeFile(p);
  const expect = [255 * 0.299, 255 * 0.587, 255 * 0.114, 10 * 0.299 + 20 * 0.587 + 30 * 0.114];
  Array.from(f.data).forEach((v, i) => t.true(Math.abs(v - expect[i]!) < 1e-3, `pixel ${i}: ${v} vs ${expect[i]}`));
  t.is(f.colourShare, 1, 'every pixel has channels apart by more than 1/16 of full scale (the last by 20 of 255)');
});

test('16-bit grey PNG keeps 0..65535', async (t) => {
  const p = join(dir, 'g16.png');
  const v = ramp(W * H, (i) => (i * 2897) % 65536);
  // sharp infers a 16-bit raw input from a Uint16Array.
  await sharp(new Uint16Array(v), { raw: { width: W, height: H, channels: 1 } }).toColourspace('grey16').png().toFile(p);
  const f = await decodeFile(p);
  t.is(f.dtype, 'uint16');
  t.deepEqual(Array.from(f.data), v);
});

test('JPEG decodes to grey uint8 close to the source', async (t) => {
  const p = join(dir, 'g.jpg');
  const smooth = ramp(64 * 64, (i) => 40 + ((i % 64) + Math.floor(i / 64)));
  await sharp(Buffer.from(smooth), { raw: { width: 64, height: 64, channels: 1 } }).jpeg({ quality: 95 }).toFile(p);
  const f = await decodeFile(p);
  t.is(f.format, 'jpeg');
  t.is(f.dtype, 'uint8');
  t.is(f.data.length, 64 * 64);
  const maxErr = Math.max(...Array.from(f.data).map((v, i) => Math.abs(v - smooth[i]!)));
  t.true(maxErr <= 4, `max error ${maxErr}`);
});

test('16-bit LZW+predictor TIFF by libvips and big-endian Deflate float32 TIFF keep values exactly', async (t) => {
  const v16 = ramp(W * H, (i) => (i * 4099) % 65536);
  const p16 = join(dir, 's16.tif');
  await sharp(new Uint16Array(v16), { raw: { width: W, height: H, channels: 1 } }).toColourspace('grey16').tiff({ compression: 'lzw', predictor: 'horizontal' }).toFile(p16);
  const f16 = await decodeFile(p16);
  t.is(f16.dtype, 'uint16');
  t.deepEqual(Array.from(f16.data), v16);

  const vf = new Float32Array(ramp(W * H, (i) => Math.sin(i) * 1234.5 - 17));
  const pf = join(dir, 'sf.tif');
  // (sharp's tiff() casts float to 8 bits, so this one comes from our writer.)
  writeFileSync(pf, writeTiff({ width: W, height: H, dtype: 'float32', values: vf, littleEndian: false, compression: 8, rowsPerStrip: 5 }));
  const ff = await decodeFile(pf);
  t.is(ff.dtype, 'float32');
  t.deepEqual(Array.from(ff.data), Array.from(vf));
});

test('JPEG-compressed TIFF (outside the native reader) falls back to sharp', async (t) => {
  const p = join(dir, 'jpeg-in.tif');
  await sharp(Buffer.from(grey8), { raw: { width: W, height: H, channels: 1 } }).tiff({ compression: 'jpeg', quality: 100 }).toFile(p);
  const f = await decodeFile(p);
  t.is(f.format, 'tiff');
  t.deepEqual([f.width, f.height, f.data.length], [W, H, W * H]);
  const maxErr = Math.max(...Array.from(f.data).map((v, i) => Math.abs(v - grey8[i]!)));
  t.true(maxErr < 40, `max error ${maxErr}`); // lossy, and the ramp has sharp edges
});

test('TIFF resolution in cm gives the pixel size in nm; 72 dpi does not', async (t) => {
  const v = ramp(W * H, (i) => i % 65536);
  const p = join(dir, 'res.tif');
  writeFileSync(p, writeTiff({ width: W, height: H, dtype: 'uint16', values: v, resolution: { x: 1e7 / 0.5, y: 1e7 / 0.25, unit: 3 } }));
  const f = await decodeFile(p);
  t.truthy(f.pixelSize);
  t.true(Math.abs(f.pixelSize!.x - 0.5) < 1e-9 && Math.abs(f.pixelSize!.y - 0.25) < 1e-9);
  t.is(f.pixelSize!.unit, 'nm');
  const q = join(dir, 'dpi.tif');
  writeFileSync(q, writeTiff({ width: W, height: H, dtype: 'uint16', values: v, resolution: { x: 72, y: 72, unit: 2 } }));
  t.is((await decodeFile(q)).pixelSize, null);
});

test('TIFF pixel size from FEI/Thermo metadata and from ImageJ descriptions', async (t) => {
  const v = ramp(16, (i) => i);
  const fei = join(dir, 'fei.tif');
  const ini = '[User]\r\nDate=01/02/2026\r\n[Scan]\r\nPixelWidth=2.5e-10\r\nPixelHeight=5e-10\r\n';
  writeFileSync(fei, writeTiff({ width: 4, height: 4, dtype: 'uint16', values: v, text: { 34682: ini }, resolution: { x: 72, y: 72, unit: 2 } }));
  const f = await decodeFile(fei);
  t.true(Math.abs(f.pixelSize!.x - 0.25) < 1e-9 && Math.abs(f.pixelSize!.y - 0.5) < 1e-9, JSON.stringify(f.pixelSize));
  const ij = join(dir, 'imagej.tif');
  writeFileSync(ij, writeTiff({ width: 4, height: 4, dtype: 'uint8', values: v, text: { 270: 'ImageJ=1.54f\nunit=\\u00B5m\n' }, resolution: { x: 500, y: 500, unit: 1 } }));
  t.deepEqual((await decodeFile(ij)).pixelSize, { x: 2, y: 2, unit: 'nm' });
  const plain = join(dir, 'unitless.tif');
  writeFileSync(plain, writeTiff({ width: 4, height: 4, dtype: 'uint8', values: v, text: { 270: 'just a description' }, resolution: { x: 500, y: 500, unit: 1 } }));
  t.is((await decodeFile(plain)).pixelSize, null, 'resolution without a unit is not a pixel size');
});

test('pixel size overrides: glob on the basename, unit conversion, file calibration wins', async (t) => {
  const p = join(dir, 'cam 0001.tif');
  writeFileSync(p, writeTiff({ width: 4, height: 4, dtype: 'uint8', values: ramp(16, (i) => i) }));
  const overrides = [{ pattern: '*.png', x: 9 }, { pattern: 'cam ????.tif', x: 2.5, unit: 'Å' }];
  t.deepEqual((await decodeFile(p, { pixelSizeOverrides: overrides })).pixelSize, { x: 0.25, y: 0.25, unit: 'nm' });
  t.is((await decodeFile(p, { pixelSizeOverrides: [{ pattern: '*.png', x: 9 }] })).pixelSize, null);
  const q = join(dir, 'calibrated.tif');
  writeFileSync(q, writeTiff({ width: 4, height: 4, dtype: 'uint8', values: ramp(16, (i) => i), resolution: { x: 1e7, y: 1e7, unit: 3 } }));
  t.deepEqual((await decodeFile(q, { pixelSizeOverrides: [{ pattern: '*', x: 7 }] })).pixelSize, { x: 1, y: 1, unit: 'nm' });
  await t.throwsAsync(decodeFile(p, { pixelSizeOverrides: [{ pattern: '*', x: 1, unit: 'parsec?' }] }), { message: /override/ });
});

test('reader chosen by content: a PNG named .tif and a TIFF named .png both read', async (t) => {
  const a = join(dir, 'really-png.tif');
  await sharp(Buffer.from(grey8), { raw: { width: W, height: H, channels: 1 } }).png().toFile(a);
  t.is((await decodeFile(a)).format, 'png');
  const b = join(dir, 'really-tiff.png');
  writeFileSync(b, writeTiff({ width: W, height: H, dtype: 'uint8', values: grey8 }));
  const f = await decodeFile(b);
  t.is(f.format, 'tiff');
  t.deepEqual(Array.from(f.data), grey8);
});

test('bad files: each gets its code, never another exception', async (t) => {
  const png = join(dir, 'whole.png');
  const noisy = Buffer.from(ramp(128 * 128, (i) => (i * 2654435761) % 251));
  await sharp(noisy, { raw: { width: 128, height: 128, channels: 1 } }).png({ compressionLevel: 0 }).toFile(png);
  const bytes = readFileSync(png);
  const jpg = join(dir, 'whole.jpg');
  await sharp(noisy, { raw: { width: 128, height: 128, channels: 1 } }).jpeg().toFile(jpg);
  const jbytes = readFileSync(jpg);
  const tif = writeTiff({ width: 128, height: 128, dtype: 'uint16', values: Array.from(noisy) });
  const cases: Array<[string, Buffer | null, string[]]> = [
    ['missing.png', null, ['not_found']],
    ['empty.png', Buffer.alloc(0), ['empty']],
    ['half.png', bytes.subarray(0, bytes.length >> 1), ['truncated']],
    ['half.jpg', jbytes.subarray(0, jbytes.length >> 1), ['truncated']],
    ['half.tif', tif.subarray(0, tif.length >> 1), ['truncated']],
    ['no-ifd-yet.tif', Buffer.concat([Buffer.from([0x49, 0x49, 42, 0, 0, 0, 0, 0]), tif.subarray(8, 4000)]), ['truncated']],
    ['garbage.png', Buffer.from('this is not an image at all, just some text in a file'), ['unsupported']],
    ['tiny.png', Buffer.from([0x89, 0x50]), ['truncated']],
    ['header-only.png', bytes.subarray(0, 40), ['truncated', 'corrupt']],
  ];
  for (const [name, content, codes] of cases) {
    const p = join(dir, name);
    if (content) writeFileSync(p, content);
    const c = await code(decodeFile(p));
    t.true(codes.includes(c), `${name}: got ${c}, expected ${codes.join('|')}`);
  }
  t.is(await code(decodeFile(dir)), 'not_found');
});

test('too_large is decided from the header, before decoding', async (t) => {
  const p = join(dir, 'big.png');
  await sharp(Buffer.alloc(300 * 200), { raw: { width: 300, height: 200, channels: 1 } }).png().toFile(p);
  t.is(await code(decodeFile(p, { maxPixels: 299 * 200 })), 'too_large');
  t.is(await code(decodeFile(p, { maxPixels: 300 * 200 })), 'ok');
  const q = join(dir, 'big.tif');
  writeFileSync(q, writeTiff({ width: 300, height: 200, dtype: 'uint8', values: new Array(60000).fill(1) }));
  t.is(await code(decodeFile(q, { maxPixels: 1000 })), 'too_large');
});

test('DecodeError carries code and path; messages name the file', async (t) => {
  const p = join(dir, 'nope.dm4');
  const err = await t.throwsAsync(decodeFile(p));
  t.true(err instanceof DecodeError);
  t.is((err as DecodeError).code, 'not_found');
  t.is((err as DecodeError).path, p);
  t.true(err!.message.includes(p));
});

test('SUPPORTED_EXTENSIONS lists the formats the watcher should pick up', (t) => {
  t.deepEqual([...SUPPORTED_EXTENSIONS].sort(), ['.dm3', '.dm4', '.jpeg', '.jpg', '.mrc', '.png', '.tif', '.tiff']);
});

const TEM = join(process.cwd(), '..', 'shared', 'data', 'tem');
if (existsSync(TEM)) {
  test('real TEM images (names with spaces, PNG and JPEG) decode to uint8 grey frames', async (t) => {
    const files = readdirSync(TEM).filter((f) => /\.(png|jpe?g)$/i.test(f));
    t.true(files.length > 0);
    for (const f of files) {
      const frame = await decodeFile(join(TEM, f));
      t.is(frame.dtype, 'uint8', f);
      t.is(frame.data.length, frame.width * frame.height, f);
      t.true(frame.min >= 0 && frame.max <= 255 && frame.max > frame.min, f);
    }
  });
} else {
  test('real TEM images (skipped: ../shared/data/tem absent)', (t) => t.pass());
}
