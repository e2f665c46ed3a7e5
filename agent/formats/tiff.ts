/**
 * Native reader for the TIFFs scientific cameras write: one image (first IFD), strips or
 * tiles, uncompressed / Deflate / LZW / PackBits, horizontal predictor, 8-64 bit integer or
 * float samples, either byte order, with the pixel size from FEI/Thermo metadata, ImageJ's
 * description or XResolution/ResolutionUnit.
 * libvips (sharp) converts some of these (float64, signed, 32-bit int) on the way, so they
 * are read here byte-exact; layouts this reader does not handle (JPEG-in-TIFF, palettes,
 * BigTIFF, planar colour) report 'unsupported' with `fallback: true` and decode.ts hands the
 * file to sharp.
 */
import { inflateSync } from 'node:zlib';
import type { PixelType } from '../types.js';
import { pixelSizeNm } from './calibration.js';
import { DecodeError } from './errors.js';
import { lzwDecode } from './lzw.js';
import { BYTES_PER_SAMPLE, luminance, readFloatPixels, toFloatPixels, typedView, type Pixels } from './pixels.js';
import type { ByteSource } from './source.js';

/** Thrown for valid TIFFs outside this reader's scope: sharp may still read them. */
export class TiffFallback extends DecodeError {
  readonly fallback = true;
  constructor(message: string) { super('unsupported', message); }
}

export interface TiffImage extends Pixels {
  width: number;
  height: number;
  dtype: PixelType;
  /** Pixel size in nm from the resolution tags, when they state a physical unit. */
  resolutionNm?: { x: number; y: number };
}

interface Ifd {
  get(tag: number): number[] | undefined;
  /** ASCII tags we read for calibration (ImageDescription, FEI/Thermo metadata). */
  text(tag: number): string | undefined;
}

/** Text tags worth reading: 270 ImageDescription (ImageJ), 34680/34682 FEI/Thermo Fisher INI metadata. */
const TEXT_TAGS = new Set([270, 34680, 34682]);
const MAX_TEXT = 1 << 20;

const TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8 };

/** Read the first IFD's tags as number arrays (rationals as their quotient). */
function readIfd(src: ByteSource, le: boolean): Ifd {
  const head = src.read(0, 8);
  const offset = le ? head.readUInt32LE(4) : head.readUInt32BE(4);
  // libtiff writes the header with offset 0 and patches it when the directory is written
  // at the end: 0 is what a TIFF still being written looks like.
  if (offset === 0) throw new DecodeError('truncated', 'TIFF has no image directory yet (still being written?)');
  if (offset < 8) throw new DecodeError('corrupt', `TIFF first IFD offset ${offset} is invalid`);
  const countBuf = src.read(offset, 2);
  const n = le ? countBuf.readUInt16LE(0) : countBuf.readUInt16BE(0);
  if (n === 0 || n > 4096) throw new DecodeError('corrupt', `TIFF IFD with ${n} entries`);
  const entries = src.read(offset + 2, n * 12);
  const tags = new Map<number, number[]>();
  const texts = new Map<number, string>();
  for (let i = 0; i < n; i++) {
    const e = entries.subarray(i * 12, i * 12 + 12);
    const tag = le ? e.readUInt16LE(0) : e.readUInt16BE(0);
    const type = le ? e.readUInt16LE(2) : e.readUInt16BE(2);
    const count = le ? e.readUInt32LE(4) : e.readUInt32BE(4);
    const size = TYPE_SIZE[type];
    if (type === 2 && TEXT_TAGS.has(tag) && count <= MAX_TEXT) {
      const at = count <= 4 ? -1 : le ? e.readUInt32LE(8) : e.readUInt32BE(8);
      texts.set(tag, (at < 0 ? e.subarray(8, 8 + count) : src.read(at, count)).toString('latin1').replace(/\0+$/, ''));
      continue;
    }
    if (!size || type === 2 || type === 7) continue; // other ASCII/UNDEFINED/unknown: not needed
    if (count > 1 << 24) throw new DecodeError('corrupt', `TIFF tag ${tag} claims ${count} values`);
    const bytes = size * count;
    const data = bytes <= 4 ? e.subarray(8, 8 + bytes) : src.read(le ? e.readUInt32LE(8) : e.readUInt32BE(8), bytes);
    tags.set(tag, decodeValues(data, type, count, le));
  }
  return { get: (t) => tags.get(t), text: (t) => texts.get(t) };
}

function decodeValues(d: Buffer, type: number, count: number, le: boolean): number[] {
  const out: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    switch (type) {
      case 1: out[i] = d[i]!; break;
      case 6: out[i] = d.readInt8(i); break;
      case 3: out[i] = le ? d.readUInt16LE(i * 2) : d.readUInt16BE(i * 2); break;
      case 8: out[i] = le ? d.readInt16LE(i * 2) : d.readInt16BE(i * 2); break;
      case 4: out[i] = le ? d.readUInt32LE(i * 4) : d.readUInt32BE(i * 4); break;
      case 9: out[i] = le ? d.readInt32LE(i * 4) : d.readInt32BE(i * 4); break;
      case 11: out[i] = le ? d.readFloatLE(i * 4) : d.readFloatBE(i * 4); break;
      case 12: out[i] = le ? d.readDoubleLE(i * 8) : d.readDoubleBE(i * 8); break;
      case 5: case 10: {
        const num = type === 5 ? (le ? d.readUInt32LE(i * 8) : d.readUInt32BE(i * 8)) : (le ? d.readInt32LE(i * 8) : d.readInt32BE(i * 8));
        const den = type === 5 ? (le ? d.readUInt32LE(i * 8 + 4) : d.readUInt32BE(i * 8 + 4)) : (le ? d.readInt32LE(i * 8 + 4) : d.readInt32BE(i * 8 + 4));
        out[i] = den === 0 ? NaN : num / den;
        break;
      }
    }
  }
  return out;
}

function one(ifd: Ifd, tag: number, fallback?: number): number {
  const v = ifd.get(tag)?.[0] ?? fallback;
  if (v === undefined) throw new DecodeError('corrupt', `TIFF lacks required tag ${tag}`);
  return v;
}

function sampleType(bits: number, format: number): PixelType {
  const key = `${format}:${bits}`;
  const map: Record<string, PixelType> = {
    '1:8': 'uint8', '1:16': 'uint16', '1:32': 'uint32', '2:8': 'int8', '2:16': 'int16', '2:32': 'int32',
    '3:16': 'float16', '3:32': 'float32', '3:64': 'float64',
  };
  const t = map[key];
  if (!t) {
    if (format === 5 || format === 6) throw new DecodeError('unsupported', 'complex-valued TIFF (FFT?) is not an image to analyse');
    throw new TiffFallback(`TIFF sample format ${format} with ${bits} bits`);
  }
  return t;
}

function packBits(input: Uint8Array, expected: number): Uint8Array {
  const out = new Uint8Array(expected);
  let i = 0, o = 0;
  while (o < expected && i < input.length) {
    const n = (input[i++]! << 24) >> 24;
    if (n >= 0) { for (let k = 0; k <= n && o < expected; k++) out[o++] = input[i++] ?? 0; }
    else if (n !== -128) { const v = input[i++] ?? 0; for (let k = 0; k < 1 - n && o < expected; k++) out[o++] = v; }
  }
  if (o < expected) throw new DecodeError('truncated', `PackBits data ends after ${o} of ${expected} bytes`);
  return out;
}

function decompress(raw: Buffer, compression: number, expected: number): Uint8Array {
  switch (compression) {
    case 1: return raw.length >= expected ? raw.subarray(0, expected) : truncated(raw.length, expected);
    case 5: return lzwDecode(raw, expected);
    case 8: case 32946: {
      let out: Buffer;
      try { out = inflateSync(raw, { maxOutputLength: expected + 64 }); } catch (err) {
        throw new DecodeError(/unexpected end/i.test(String(err)) ? 'truncated' : 'corrupt', `Deflate: ${(err as Error).message}`);
      }
      return out.length >= expected ? out.subarray(0, expected) : truncated(out.length, expected);
    }
    case 32773: return packBits(raw, expected);
    default: throw new TiffFallback(`TIFF compression ${compression}`);
  }
}

function truncated(got: number, expected: number): never {
  throw new DecodeError('truncated', `TIFF block has ${got} of ${expected} bytes`);
}

/** Undo the horizontal predictor (2) in place, per row, on host-order samples. */
function undoPredictor(buf: Uint8Array, dtype: PixelType, le: boolean, rowSamples: number, spp: number, rows: number): void {
  const size = BYTES_PER_SAMPLE[dtype];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let r = 0; r < rows; r++) {
    const start = r * rowSamples * size;
    for (let i = spp; i < rowSamples; i++) {
      const p = start + i * size, q = start + (i - spp) * size;
      if (size === 1) buf[p] = (buf[p]! + buf[q]!) & 0xff;
      else if (size === 2) dv.setUint16(p, (dv.getUint16(p, le) + dv.getUint16(q, le)) & 0xffff, le);
      else if (size === 4) dv.setUint32(p, (dv.getUint32(p, le) + dv.getUint32(q, le)) >>> 0, le);
    }
  }
}

/** Strips stored back to back from the first offset, covering at least `needed` bytes. */
function contiguous(offsets: number[], counts: number[], needed: number): boolean {
  let end = offsets[0]!;
  for (let i = 0; i < offsets.length; i++) {
    if (offsets[i] !== end) return false;
    end += counts[i]!;
  }
  return end - offsets[0]! >= needed;
}

/** Worst-case compression ratio we believe (Deflate's limit is ~1032:1, LZW's a few thousand). */
const MAX_RATIO = 4096;

/**
 * Before allocating width*height samples: a header can claim 16k x 16k in a 200-byte file.
 * Uncompressed blocks must lie inside the file; compressed ones cannot expand beyond
 * MAX_RATIO. Either failure is what a half-written file looks like: 'truncated'.
 */
function checkPlausibleSize(fileSize: number, counts: number[], offsets: number[], needed: number, compression: number): void {
  let stored = 0;
  for (let i = 0; i < counts.length; i++) {
    if (offsets[i]! + counts[i]! > fileSize) throw new DecodeError('truncated', `TIFF block ${i} ends at byte ${offsets[i]! + counts[i]!}, file has ${fileSize}`);
    stored += counts[i]!;
  }
  const limit = compression === 1 ? stored : stored * MAX_RATIO;
  if (limit < needed) throw new DecodeError(compression === 1 ? 'truncated' : 'corrupt', `TIFF blocks hold ${stored} bytes, the image needs ${needed}`);
}

/**
 * Pixel size in nm, from the first source that states one: FEI/Thermo Fisher metadata
 * ([Scan] PixelWidth/PixelHeight in metres), ImageJ's description (unit=... with the
 * resolution tags in pixels per that unit), then the plain resolution tags.
 */
function calibration(ifd: Ifd): { x: number; y: number } | undefined {
  return feiPixelSize(ifd) ?? imageJPixelSize(ifd) ?? resolution(ifd);
}

function feiPixelSize(ifd: Ifd): { x: number; y: number } | undefined {
  const text = ifd.text(34682) ?? ifd.text(34680);
  if (!text) return undefined;
  const x = Number(/^\s*PixelWidth\s*=\s*([-+0-9.eE]+)/m.exec(text)?.[1]);
  const y = Number(/^\s*PixelHeight\s*=\s*([-+0-9.eE]+)/m.exec(text)?.[1] ?? x);
  return x > 0 && y > 0 && Number.isFinite(x) && Number.isFinite(y) ? { x: x * 1e9, y: y * 1e9 } : undefined;
}

function imageJPixelSize(ifd: Ifd): { x: number; y: number } | undefined {
  const desc = ifd.text(270);
  if (!desc || !desc.startsWith('ImageJ=')) return undefined;
  const unit = /^unit=(.*)$/m.exec(desc)?.[1]?.trim().replace(/\\u00B5/gi, '\u00b5');
  const xr = ifd.get(282)?.[0];
  const yr = ifd.get(283)?.[0] ?? xr;
  if (!unit || !xr || !yr) return undefined;
  const size = pixelSizeNm(1 / xr, 1 / yr, unit);
  return size ? { x: size.x, y: size.y } : undefined;
}

/** Physical pixel size from the resolution tags; null for "no unit" or implausible (screen DPI) values. */
function resolution(ifd: Ifd): { x: number; y: number } | undefined {
  const unit = ifd.get(296)?.[0] ?? 2;
  const xr = ifd.get(282)?.[0];
  const yr = ifd.get(283)?.[0] ?? xr;
  if (!xr || !yr || !Number.isFinite(xr) || !Number.isFinite(yr) || unit === 1) return undefined;
  const nmPerUnit = unit === 3 ? 1e7 : unit === 2 ? 2.54e7 : NaN;
  const x = nmPerUnit / xr, y = nmPerUnit / yr;
  // 72/96/300 dpi defaults give 85-350 um "pixels": nothing a TEM records; treat as unset.
  if (!(x > 0 && y > 0) || x > MAX_PLAUSIBLE_NM || y > MAX_PLAUSIBLE_NM) return undefined;
  return { x, y };
}

/** Largest pixel size (nm) believed from TIFF resolution tags: 10 um. */
export const MAX_PLAUSIBLE_NM = 10_000;

export interface TiffOptions { maxPixels: number }

/** Everything needed to assemble the pixels of the first image. */
interface Layout {
  width: number; height: number; spp: number; dtype: PixelType;
  compression: number; predictor: number;
  tiled: boolean; blockW: number; blockH: number; offsets: number[]; counts: number[];
}

/** Header + first IFD -> Layout, refusing what this reader does not handle (sharp may). */
function readLayout(src: ByteSource, le: boolean, opts: TiffOptions): { ifd: Ifd; layout: Layout } {
  const ifd = readIfd(src, le);
  const width = one(ifd, 256), height = one(ifd, 257);
  if (width < 1 || height < 1) throw new DecodeError('corrupt', `TIFF dimensions ${width}x${height}`);
  if (width * height > opts.maxPixels) throw new DecodeError('too_large', `${width}x${height} exceeds the limit of ${opts.maxPixels} pixels (decode.max_pixels, or what decode.memory_budget_mb allows)`);
  const spp = one(ifd, 277, 1);
  const bitsList = ifd.get(258) ?? [1];
  const bits = bitsList[0]!;
  if (bitsList.some((b) => b !== bits)) throw new TiffFallback('TIFF with mixed bits per sample');
  const photometric = one(ifd, 262, 1);
  if (photometric > 2 || bits < 8) throw new TiffFallback(`TIFF photometric ${photometric} / ${bits}-bit`);
  if (spp !== 1 && (photometric !== 2 || spp < 3 || spp > 4)) throw new TiffFallback(`TIFF with ${spp} samples per pixel`);
  if (spp > 1 && one(ifd, 284, 1) !== 1) throw new TiffFallback('planar-configuration TIFF');
  const dtype = sampleType(bits, ifd.get(339)?.[0] ?? 1);
  if (spp > 1 && dtype === 'float16') throw new TiffFallback('half-float colour TIFF');
  const compression = one(ifd, 259, 1);
  const predictor = one(ifd, 317, 1);
  if (predictor !== 1 && predictor !== 2) throw new TiffFallback(`TIFF predictor ${predictor}`);
  if (predictor === 2 && dtype.startsWith('float')) throw new TiffFallback('TIFF float with horizontal predictor');
  const tiled = ifd.get(322) !== undefined;
  const blockW = tiled ? one(ifd, 322) : width;
  const blockH = tiled ? one(ifd, 323) : Math.min(one(ifd, 278, height), height);
  const offsets = ifd.get(tiled ? 324 : 273);
  const counts = ifd.get(tiled ? 325 : 279);
  if (!offsets || !counts || offsets.length !== counts.length) throw new DecodeError('corrupt', 'TIFF without consistent strip/tile offsets');
  if (blockW < 1 || blockH < 1) throw new DecodeError('corrupt', 'TIFF block size is zero');
  const blocks = Math.ceil(width / blockW) * Math.ceil(height / blockH);
  if (offsets.length < blocks) throw new DecodeError('corrupt', `TIFF has ${offsets.length} blocks, needs ${blocks}`);
  const layout = { width, height, spp, dtype, compression, predictor, tiled, blockW, blockH, offsets, counts };
  checkPlausibleSize(src.size, counts, offsets, width * height * spp * BYTES_PER_SAMPLE[dtype], compression);
  return { ifd, layout };
}

/** Decompress every strip/tile and place it in one interleaved, file-byte-order buffer. */
function assemble(src: ByteSource, l: Layout, le: boolean): Buffer {
  const px = l.spp * BYTES_PER_SAMPLE[l.dtype];
  const raw = Buffer.alloc(l.width * l.height * px);
  const rowBytes = l.blockW * px;
  const across = Math.ceil(l.width / l.blockW), down = Math.ceil(l.height / l.blockH);
  for (let by = 0; by < down; by++) {
    for (let bx = 0; bx < across; bx++) {
      const k = by * across + bx;
      const rows = l.tiled ? l.blockH : Math.min(l.blockH, l.height - by * l.blockH);
      let block = decompress(src.read(l.offsets[k]!, l.counts[k]!), l.compression, rowBytes * rows);
      if (l.predictor === 2) {
        block = new Uint8Array(block);
        undoPredictor(block, l.dtype, le, l.blockW * l.spp, l.spp, rows);
      }
      // Strips are whole rows; tiles are cropped at the right and bottom edges.
      const copyW = Math.min(l.blockW, l.width - bx * l.blockW) * px;
      for (let r = 0; r < rows && by * l.blockH + r < l.height; r++) {
        const y = by * l.blockH + r;
        raw.set(block.subarray(r * rowBytes, r * rowBytes + copyW), (y * l.width + bx * l.blockW) * px);
      }
    }
  }
  return raw;
}

export function readTiff(src: ByteSource, opts: TiffOptions): TiffImage {
  const head = src.read(0, 4);
  const le = head[0] === 0x49;
  const magic = le ? head.readUInt16LE(2) : head.readUInt16BE(2);
  if (magic === 43) throw new TiffFallback('BigTIFF');
  if (magic !== 42) throw new DecodeError('corrupt', 'not a TIFF header');
  const { ifd, layout: l } = readLayout(src, le, opts);
  const count = l.width * l.height;
  // The common camera layout, uncompressed grey strips back to back, reads like a raw array.
  const direct = !l.tiled && l.spp === 1 && l.compression === 1 && l.predictor === 1 &&
    contiguous(l.offsets, l.counts, count * BYTES_PER_SAMPLE[l.dtype]);
  let px: Pixels;
  if (direct) px = readFloatPixels(src, l.offsets[0]!, count, l.dtype, le);
  else {
    const view = typedView(assemble(src, l, le), l.dtype, le);
    px = l.spp === 1 ? toFloatPixels(view, l.dtype === 'float16') : luminance(view, l.spp, count, l.dtype);
  }
  const res = calibration(ifd);
  return { ...px, width: l.width, height: l.height, dtype: l.dtype, ...(res ? { resolutionNm: res } : {}) };
}
