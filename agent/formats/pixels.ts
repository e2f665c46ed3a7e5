/**
 * Raw pixel bytes -> the Float32Array a Frame carries, with min/max/mean computed in the
 * same pass (the image is touched once). Every reader ends here, so the conversion rules
 * (byte order, half floats, non-finite values) are written once.
 */
import type { PixelType } from '../types.js';
import { DecodeError } from './errors.js';
import type { ByteSource } from './source.js';

export const BYTES_PER_SAMPLE: Record<PixelType, number> = {
  uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float16: 2, float32: 4, float64: 8,
};

export interface Pixels {
  data: Float32Array;
  min: number;
  max: number;
  mean: number;
  /** Colour files only: the share of pixels whose channels differ by more than COLOUR_SPREAD of full scale. */
  colourShare?: number;
}

/**
 * A channel spread above 1/16 of full scale is colour, not JPEG chroma noise on a grey frame
 * saved as RGB (the real micrographs in ../shared/data reach at most 0.5 % of such pixels, from
 * coloured scale bars; photographs 8-99 %).
 */
export const COLOUR_SPREAD = 1 / 16;

/** Full scale of the integer sample types whose colour spread can be judged (others: none). */
const FULL_SCALE: Partial<Record<PixelType, number>> = { uint8: 255, uint16: 65535 };

type NumericArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/**
 * A typed view on `bytes` in host (little-endian) order. Copies only when the bytes are
 * big-endian or not aligned to the sample size; never modifies `bytes`.
 */
export function typedView(bytes: Buffer, dtype: PixelType, littleEndian: boolean): NumericArray {
  const size = BYTES_PER_SAMPLE[dtype];
  let b = bytes;
  if (bytes.length % size !== 0) throw new DecodeError('corrupt', `${bytes.length} bytes is not a whole number of ${dtype} samples`);
  if (size > 1 && (!littleEndian || b.byteOffset % size !== 0)) {
    b = Buffer.from(bytes); // aligned copy (Buffer.from copies into a fresh, aligned allocation)
    if (b.byteOffset % size !== 0) { const c = new Uint8Array(bytes.length); c.set(bytes); b = Buffer.from(c.buffer); }
    if (!littleEndian) {
      if (size === 2) b.swap16(); else if (size === 4) b.swap32(); else if (size === 8) b.swap64();
    }
  }
  const n = b.length / size;
  switch (dtype) {
    case 'uint8': return new Uint8Array(b.buffer, b.byteOffset, n);
    case 'int8': return new Int8Array(b.buffer, b.byteOffset, n);
    case 'uint16': case 'float16': return new Uint16Array(b.buffer, b.byteOffset, n);
    case 'int16': return new Int16Array(b.buffer, b.byteOffset, n);
    case 'uint32': return new Uint32Array(b.buffer, b.byteOffset, n);
    case 'int32': return new Int32Array(b.buffer, b.byteOffset, n);
    case 'float32': return new Float32Array(b.buffer, b.byteOffset, n);
    case 'float64': return new Float64Array(b.buffer, b.byteOffset, n);
  }
}

/** IEEE 754 half -> number (Node 20 has no Float16Array). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** Running statistics over the finite samples seen so far. */
interface Acc { min: number; max: number; sum: number; count: number }

function newAcc(): Acc {
  return { min: Infinity, max: -Infinity, sum: 0, count: 0 };
}

function finish(data: Float32Array, acc: Acc): Pixels {
  if (data.length === 0) throw new DecodeError('corrupt', 'image has no pixels');
  if (acc.count === 0) throw new DecodeError('corrupt', 'image has no finite pixel value');
  return { data, min: acc.min, max: acc.max, mean: acc.sum / acc.count };
}

/**
 * Convert to float32 and compute statistics. Non-finite samples (NaN/Inf in float data)
 * are kept in `data` but left out of min/max/mean, so one bad pixel does not turn the
 * detector's normalisation into NaN everywhere; an image with no finite sample is corrupt.
 */
export function toFloatPixels(src: NumericArray, isHalf = false): Pixels {
  const data = new Float32Array(src.length);
  const acc = newAcc();
  convertChunk(src, data, 0, isHalf, acc);
  return finish(data, acc);
}

/** Bytes per bulk read: big enough for few syscalls, small enough to stay in cache. */
const CHUNK_BYTES = 1 << 20;

/**
 * Read `count` samples at `offset` straight into a Frame's Float32Array, a chunk at a time
 * through one reused buffer: no whole-image intermediate copy (a 4096^2 16-bit image would
 * otherwise cost 32 MB more and its page faults), and each chunk is converted and measured
 * while it is still in cache. Little-endian float32 is read into the Frame's memory itself.
 * The range is checked against the file size before anything is allocated.
 */
export function readFloatPixels(src: ByteSource, offset: number, count: number, dtype: PixelType, littleEndian: boolean): Pixels {
  const size = BYTES_PER_SAMPLE[dtype];
  if (offset + count * size > src.size) {
    throw new DecodeError('truncated', `file ends at byte ${src.size}, pixel data needs bytes up to ${offset + count * size}`);
  }
  const data = new Float32Array(count);
  const acc = newAcc();
  if (dtype === 'float32' && littleEndian) {
    src.readInto(offset, new Uint8Array(data.buffer, 0, count * 4));
    finiteStats(data, acc);
    return finish(data, acc);
  }
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / size));
  const scratch = Buffer.allocUnsafe(Math.min(count, perChunk) * size);
  for (let i = 0; i < count; i += perChunk) {
    const n = Math.min(perChunk, count - i);
    const bytes = scratch.subarray(0, n * size);
    src.readInto(offset + i * size, bytes);
    convertChunk(typedView(bytes, dtype, littleEndian), data, i, dtype === 'float16', acc);
  }
  return finish(data, acc);
}

/** data[at..] = src (as float32), and fold src's statistics into acc. */
function convertChunk(src: NumericArray, data: Float32Array, at: number, isHalf: boolean, acc: Acc): void {
  const out = data.subarray(at, at + src.length);
  if (isHalf) {
    for (let i = 0; i < src.length; i++) out[i] = halfToFloat(src[i]!);
    finiteStats(out, acc);
    return;
  }
  out.set(src); // native conversion: memcpy speed, far faster than a JS loop of stores
  // Integers of up to 16 bits are finite and exact in float32: their stats come from the
  // (smaller, integer) source without a finiteness test. Everything else from `out`.
  if (src instanceof Uint8Array) statsU8(src, acc);
  else if (src instanceof Uint16Array) statsU16(src, acc);
  else if (src instanceof Int16Array) statsI16(src, acc);
  else if (src instanceof Int8Array) statsI8(src, acc);
  else finiteStats(out, acc);
}

// One loop per element type, on purpose: a single loop fed several typed-array kinds goes
// polymorphic in V8 and runs several times slower (measured: 11 ns vs 1-2 ns per pixel).
// 8- and 16-bit data are read a 32-bit word (4 or 2 pixels) at a time: half or a quarter of
// the loads and bounds checks, 1.4-2x faster on 1024^2 u8 and 4096^2 u16 (bench/decode).
function statsU8(src: Uint8Array, acc: Acc): void {
  const n = src.length;
  let min = acc.min, max = acc.max, sum = 0;
  const m = src.byteOffset % 4 === 0 ? n >> 2 : 0;
  const words = m > 0 ? new Uint32Array(src.buffer, src.byteOffset, m) : new Uint32Array(0);
  // Contrast-stretched frames (most 8-bit TEM exports) reach 0 and 255 early: from then on
  // only the sum is left to compute, ~5x cheaper than the compares. Checked every block.
  const BLOCK = 4096;
  let i = 0;
  for (; i < m && !(min === 0 && max === 255); ) {
    const end = Math.min(m, i + BLOCK);
    for (; i < end; i++) {
      const w = words[i]!;
      const a = w & 0xff, b = (w >>> 8) & 0xff, c = (w >>> 16) & 0xff, d = w >>> 24;
      if (a < min) min = a; if (a > max) max = a;
      if (b < min) min = b; if (b > max) max = b;
      if (c < min) min = c; if (c > max) max = c;
      if (d < min) min = d; if (d > max) max = d;
      sum += a + b + c + d;
    }
  }
  for (; i < m; i++) { const w = words[i]!; sum += (w & 0xff) + ((w >>> 8) & 0xff) + ((w >>> 16) & 0xff) + (w >>> 24); }
  for (let k = m * 4; k < n; k++) { const v = src[k]!; if (v < min) min = v; if (v > max) max = v; sum += v; }
  acc.min = min; acc.max = max; acc.sum += sum; acc.count += n;
}

function statsU16(src: Uint16Array, acc: Acc): void {
  const n = src.length;
  let min = acc.min, max = acc.max, sum = 0;
  const m = src.byteOffset % 4 === 0 ? n >> 1 : 0;
  const words = m > 0 ? new Uint32Array(src.buffer, src.byteOffset, m) : new Uint32Array(0);
  for (let i = 0; i < m; i++) {
    const w = words[i]!;
    const a = w & 0xffff, b = w >>> 16; // host order is little-endian: a is the earlier pixel
    if (a < min) min = a; if (a > max) max = a;
    if (b < min) min = b; if (b > max) max = b;
    sum += a + b;
  }
  for (let i = m * 2; i < n; i++) { const v = src[i]!; if (v < min) min = v; if (v > max) max = v; sum += v; }
  acc.min = min; acc.max = max; acc.sum += sum; acc.count += n;
}

function statsI16(src: Int16Array, acc: Acc): void {
  let min = acc.min, max = acc.max, sum = 0;
  for (let i = 0; i < src.length; i++) { const v = src[i]!; if (v < min) min = v; if (v > max) max = v; sum += v; }
  acc.min = min; acc.max = max; acc.sum += sum; acc.count += src.length;
}

function statsI8(src: Int8Array, acc: Acc): void {
  let min = acc.min, max = acc.max, sum = 0;
  for (let i = 0; i < src.length; i++) { const v = src[i]!; if (v < min) min = v; if (v > max) max = v; sum += v; }
  acc.min = min; acc.max = max; acc.sum += sum; acc.count += src.length;
}

function finiteStats(data: Float32Array, acc: Acc): void {
  let min = acc.min, max = acc.max, sum = 0, count = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v - v !== 0) continue; // NaN or +-Infinity
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    count++;
  }
  acc.min = min; acc.max = max; acc.sum += sum; acc.count += count;
}

/**
 * Grey by luminance from interleaved colour samples (ITU-R BT.601 weights, the same as
 * PIL's convert('L') without its rounding): TEM images saved as RGB have R=G=B, which this
 * maps back to the same value exactly. Alpha and extra channels are ignored. For 8- and 16-bit
 * samples it also counts the colour pixels (`colourShare`): a micrograph is grey, and the
 * image domain check (pipeline/image-domain.ts) reads a colour picture as not one.
 */
export function luminance(src: NumericArray, channels: number, pixels: number, dtype: PixelType): Pixels {
  if (channels < 3) throw new DecodeError('unsupported', `${channels}-channel colour image`);
  const data = new Float32Array(pixels);
  const full = FULL_SCALE[dtype];
  const spreadCut = full === undefined ? Infinity : COLOUR_SPREAD * full;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let coloured = 0;
  for (let i = 0, j = 0; i < pixels; i++, j += channels) {
    const r = src[j]!, g = src[j + 1]!, b = src[j + 2]!;
    let v = r;
    if (r !== g || g !== b) {
      v = 0.299 * r + 0.587 * g + 0.114 * b;
      if (Math.max(r, g, b) - Math.min(r, g, b) > spreadCut) coloured++;
    }
    data[i] = v;
    const f = data[i]!;
    if (f < min) min = f;
    if (f > max) max = f;
    sum += f;
  }
  if (pixels === 0) throw new DecodeError('corrupt', 'image has no pixels');
  return { data, min, max, mean: sum / pixels, ...(full === undefined ? {} : { colourShare: coloured / pixels }) };
}
