/**
 * File -> Frame: the decode stage. Picks the reader by magic bytes (extension only as a
 * hint), enforces the pixel limit before any large allocation, turns every failure into a
 * DecodeError with a code the watcher can act on, and attaches the pixel size: the file's
 * own calibration first, else the first matching override from the config.
 *
 * Readers live in agent/formats/ (native DM3/DM4, MRC, TIFF; sharp for PNG/JPEG and exotic
 * TIFFs); this file only routes and labels.
 */
import { open, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Frame, PixelSize } from '../types.js';
import { overridePixelSize, pixelSizeNm, type PixelSizeOverride } from '../formats/calibration.js';
import { readDm } from '../formats/dm.js';
import { DecodeError, withPath, type DecodeErrorCode } from '../formats/errors.js';
import { readMrc } from '../formats/mrc.js';
import { endMarkerPresent, readRaster } from '../formats/raster.js';
import { SNIFF_BYTES, sniffFormat, type FormatKind } from '../formats/sniff.js';
import { bufferSource, FileSource } from '../formats/source.js';
import { readTiff, TiffFallback } from '../formats/tiff.js';

export { DecodeError, type DecodeErrorCode, type PixelSizeOverride };

export interface DecodeOptions {
  /** Largest width*height accepted, checked against the header before allocating. Default 16384*16384. */
  maxPixels?: number;
  /** Pixel sizes for files that carry none (or a wrong one); first match on the basename wins. */
  pixelSizeOverrides?: PixelSizeOverride[];
}

export const DEFAULT_MAX_PIXELS = 16384 * 16384;

/** Extensions the watcher should pick up (lower case). Readers still go by content. */
export const SUPPORTED_EXTENSIONS: readonly string[] = ['.tif', '.tiff', '.png', '.jpg', '.jpeg', '.dm3', '.dm4', '.mrc'];

/** What a reader hands back before the pixel-size policy is applied. */
type Decoded = Omit<Frame, 'pixelSize'> & { pixelSize: PixelSize | null };

export async function decodeFile(path: string, opts: DecodeOptions = {}): Promise<Frame> {
  return decode(path, opts, async () => decodeKind(await sniffFile(path), path, opts.maxPixels ?? DEFAULT_MAX_PIXELS));
}

/**
 * The same as decodeFile for a file whose bytes the caller already holds (the analysis reads
 * each image once to hash it): no second read, and sharp decodes from memory. `path` names
 * the file in errors and picks pixel-size overrides.
 */
export async function decodeBytes(bytes: Buffer, path: string, opts: DecodeOptions = {}): Promise<Frame> {
  return decode(path, opts, async () => decodeKind(sniffBytes(bytes.subarray(0, SNIFF_BYTES), bytes.length, path), path, opts.maxPixels ?? DEFAULT_MAX_PIXELS, bytes));
}

async function decode(path: string, opts: DecodeOptions, read: () => Promise<Decoded>): Promise<Frame> {
  // Outside the try: a bad override is a config mistake, not a property of this file.
  const override = overridePixelSize(basename(path), opts.pixelSizeOverrides);
  try {
    const decoded = await read();
    // The file's own calibration wins; the config fills in for files without one.
    return { ...decoded, pixelSize: decoded.pixelSize ?? override ?? null };
  } catch (err) {
    throw toDecodeError(err, path);
  }
}

async function sniffFile(path: string): Promise<FormatKind> {
  const info = await stat(path);
  if (!info.isFile()) throw new DecodeError('not_found', 'not a regular file');
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(SNIFF_BYTES, info.size));
    await fh.read(head, 0, head.length, 0);
    return sniffBytes(head, info.size, path);
  } finally {
    await fh.close();
  }
}

function sniffBytes(head: Buffer, size: number, path: string): FormatKind {
  if (size === 0) throw new DecodeError('empty', 'file is empty (still being written?)');
  const kind = sniffFormat(head, extname(path));
  if (kind === 'unknown') {
    throw new DecodeError(head.length < 16 ? 'truncated' : 'unsupported', 'unrecognised content: not a PNG, JPEG, TIFF, DM3/DM4 or MRC file');
  }
  return kind;
}

/** bytes: the whole file when the caller holds it; else the readers work from the file. */
async function decodeKind(kind: FormatKind, path: string, maxPixels: number, bytes?: Buffer): Promise<Decoded> {
  if (kind === 'png' || kind === 'jpeg') return rasterFrame(bytes ?? path, kind, maxPixels);
  const src = bytes ? bufferSource(bytes) : new FileSource(path);
  try {
    if (kind === 'dm3' || kind === 'dm4') {
      const { data, width, height, dtype, min, max, mean, pixelSize, format } = readDm(src, { maxPixels });
      return { data, width, height, dtype, min, max, mean, pixelSize, format };
    }
    if (kind === 'mrc') {
      const { data, width, height, dtype, min, max, mean, pixelSize, format } = readMrc(src, { maxPixels });
      return { data, width, height, dtype, min, max, mean, pixelSize, format };
    }
    try {
      const t = readTiff(src, { maxPixels });
      const pixelSize = t.resolutionNm ? { ...t.resolutionNm, unit: 'nm' } : null;
      return { data: t.data, width: t.width, height: t.height, dtype: t.dtype, min: t.min, max: t.max, mean: t.mean, pixelSize, format: 'tiff', ...colour(t) };
    } catch (err) {
      if (!(err instanceof TiffFallback)) throw err;
      return rasterFrame(bytes ?? path, 'tiff', maxPixels);
    }
  } finally {
    if (src instanceof FileSource) src.close();
  }
}

async function rasterFrame(input: string | Buffer, format: 'png' | 'jpeg' | 'tiff', maxPixels: number): Promise<Decoded> {
  const tail = format === 'tiff' ? null : typeof input === 'string' ? await readTail(input, 64) : input.subarray(Math.max(0, input.length - 64));
  const complete = tail ? endMarkerPresent(format as 'png' | 'jpeg', tail) : undefined;
  const r = await readRaster(input, { maxPixels, complete });
  // PNG/JPEG density defaults (72 dpi) are not a physical calibration: only plausible
  // (sub-10 um) sizes count, the same rule as the TIFF reader's.
  const nm = r.density ? 2.54e7 / r.density : Infinity;
  const pixelSize = nm <= 10_000 ? pixelSizeNm(nm, nm, 'nm') : null;
  return { data: r.data, width: r.width, height: r.height, dtype: r.dtype, min: r.min, max: r.max, mean: r.mean, pixelSize, format, ...colour(r) };
}

/** A colour file's share of colour pixels travels with the frame (grey files: nothing). */
function colour(px: { colourShare?: number }): { colourShare?: number } {
  return px.colourShare === undefined ? {} : { colourShare: px.colourShare };
}

async function readTail(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.alloc(Math.min(n, size));
    await fh.read(buf, 0, buf.length, size - buf.length);
    return buf;
  } finally {
    await fh.close();
  }
}

/** Anything a reader throws becomes a DecodeError naming the file; no other exception escapes. */
function toDecodeError(err: unknown, path: string): DecodeError {
  if (err instanceof DecodeError) return withPath(err, path);
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT' || e?.code === 'ENOTDIR') return new DecodeError('not_found', 'no such file', path);
  if (e?.code === 'EISDIR') return new DecodeError('not_found', 'is a directory', path);
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return new DecodeError('not_found', 'permission denied', path);
  if (err instanceof RangeError) return new DecodeError('corrupt', `inconsistent sizes (${err.message})`, path);
  const msg = err instanceof Error ? err.message : String(err);
  return new DecodeError('corrupt', msg.split('\n')[0]!, path);
}
