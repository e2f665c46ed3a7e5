/**
 * MRC2014 (cryo-EM/tomography, also written by SerialEM and many TEM tools).
 * 1024-byte header of 4-byte words; data at 1024 + NSYMBT (extended header), X fastest.
 * Modes read: 0 int8 (uint8 when IMOD's flags say so), 1 int16, 2 float32, 6 uint16,
 * 12 float16; complex (3, 4), RGB (16) and 4-bit (101) are 'unsupported'. Byte order from
 * MACHST (0x44 little, 0x11 big), falling back to whichever order gives a sane MODE/NX for
 * files with a blank stamp. Of a stack (NZ > 1) the first section is read. Pixel size:
 * CELLA.x / MX in Angstrom, converted to nm; null when the cell is unset.
 */
import type { PixelSize, PixelType } from '../types.js';
import { pixelSizeNm } from './calibration.js';
import { DecodeError } from './errors.js';
import { readFloatPixels, type Pixels } from './pixels.js';
import type { ByteSource } from './source.js';

export interface MrcImage extends Pixels {
  width: number;
  height: number;
  dtype: PixelType;
  format: 'mrc';
  pixelSize: PixelSize | null;
  /** Sections in the file (NZ); only the first is returned. */
  frames: number;
  littleEndian: boolean;
}

const MODES: Record<number, PixelType> = { 0: 'int8', 1: 'int16', 2: 'float32', 6: 'uint16', 12: 'float16' };
const UNSUPPORTED: Record<number, string> = { 3: 'complex int16 (FFT) data', 4: 'complex float32 (FFT) data', 16: 'RGB data', 101: '4-bit packed data' };

const IMOD_STAMP = 1146047817;

function saneHeader(h: Buffer, le: boolean): boolean {
  const i = (o: number) => (le ? h.readInt32LE(o) : h.readInt32BE(o));
  const mode = i(12);
  return i(0) > 0 && i(4) > 0 && i(8) > 0 && (mode in MODES || mode in UNSUPPORTED) && i(92) >= 0;
}

function byteOrder(h: Buffer): boolean {
  const stamp = h[212]!;
  if (stamp === 0x44 && saneHeader(h, true)) return true;
  if (stamp === 0x11 && saneHeader(h, false)) return false;
  if (saneHeader(h, true)) return true;
  if (saneHeader(h, false)) return false;
  throw new DecodeError('corrupt', 'MRC header has no plausible NX/NY/NZ/MODE in either byte order');
}

export interface MrcOptions { maxPixels: number }

export function readMrc(src: ByteSource, opts: MrcOptions): MrcImage {
  const h = src.read(0, 1024);
  const le = byteOrder(h);
  const i32 = (o: number) => (le ? h.readInt32LE(o) : h.readInt32BE(o));
  const f32 = (o: number) => (le ? h.readFloatLE(o) : h.readFloatBE(o));
  const [nx, ny, nz, mode] = [i32(0), i32(4), i32(8), i32(12)];
  let dtype = MODES[mode];
  if (!dtype) throw new DecodeError('unsupported', `MRC mode ${mode}: ${UNSUPPORTED[mode] ?? 'unknown'}, not a real-valued image`);
  if (mode === 0 && i32(152) === IMOD_STAMP && (i32(156) & 1) === 0) dtype = 'uint8';
  if (nx * ny > opts.maxPixels) throw new DecodeError('too_large', `${nx}x${ny} exceeds the limit of ${opts.maxPixels} pixels (decode.max_pixels, or what decode.memory_budget_mb allows)`);
  const nsymbt = i32(92);
  const px = readFloatPixels(src, 1024 + nsymbt, nx * ny, dtype, le);
  const mx = i32(28), my = i32(32);
  const pixelSize = mx > 0 && my > 0 ? pixelSizeNm(f32(40) / mx, f32(44) / my, 'angstrom') : null;
  return { ...px, width: nx, height: ny, dtype, format: 'mrc', pixelSize, frames: nz, littleEndian: le };
}
