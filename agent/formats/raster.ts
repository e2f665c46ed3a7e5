/**
 * PNG, JPEG (and TIFF variants the native reader leaves to it) through sharp/libvips.
 * Tuned for the common case, an 8-bit greyscale frame: ask libvips for the single grey
 * band it already has instead of letting it expand grey to sRGB (three bands, then a copy),
 * and turn the bytes into floats and statistics in one pass. Colour images (TEM PNGs are
 * often saved as RGB) are read as stored and reduced to grey by luminance here.
 */
import sharp, { type Metadata, type OutputInfo } from 'sharp';
import type { PixelType } from '../types.js';
import { DecodeError } from './errors.js';
import { luminance, toFloatPixels, typedView, type Pixels } from './pixels.js';

// One image at a time per call; libvips' operation cache only helps repeated identical
// pipelines, which a stream of new files never has, and it holds memory.
sharp.cache(false);

export interface RasterImage extends Pixels {
  width: number;
  height: number;
  dtype: PixelType;
  /** Pixels per inch as the file states it, when it does (PNG pHYs, JPEG JFIF). */
  density?: number;
}

const DEPTH_TO_DTYPE: Record<string, PixelType> = {
  uchar: 'uint8', char: 'int8', ushort: 'uint16', short: 'int16', uint: 'uint32', int: 'int32', float: 'float32', double: 'float64',
};

/**
 * sharp's messages -> our codes. Truncation is what a half-written file looks like, and
 * libpng reports it and a bad CRC with the same "read error": `complete` (the file ends
 * with its format's end marker, see endMarkerPresent) settles it when known.
 */
export function classifySharpError(err: unknown, complete?: boolean): DecodeError {
  const msg = err instanceof Error ? err.message : String(err);
  const first = msg.split('\n')[0]!.trim();
  if (/pixel limit/i.test(msg)) return new DecodeError('too_large', `${first} (decode.max_pixels, or what decode.memory_budget_mb allows)`);
  if (complete === false) return new DecodeError('truncated', `${first} (the file lacks its end marker)`);
  if (complete === undefined && /truncat|premature end|unexpected end|end of (file|data|stream)|not enough|read error|short read|out of data|incomplete/i.test(msg)) {
    return new DecodeError('truncated', first);
  }
  if (/unsupported image format/i.test(msg)) return new DecodeError('unsupported', 'not an image format sharp reads');
  return new DecodeError('corrupt', first);
}

export interface RasterOptions {
  maxPixels: number;
  /** Whether the file ends as a complete PNG/JPEG does; undefined when unknown (TIFF). */
  complete?: boolean;
}

const PNG_IEND = Buffer.from([0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

/**
 * PNG ends with the IEND chunk; JPEG with EOI (FFD9), which cannot occur inside entropy-coded
 * data (FF is stuffed there), so finding it in the tail means the writer got to the end.
 */
export function endMarkerPresent(format: 'png' | 'jpeg', tail: Buffer): boolean {
  if (format === 'png') return tail.length >= 8 && tail.subarray(tail.length - 8).equals(PNG_IEND);
  for (let i = 0; i + 1 < tail.length; i++) if (tail[i] === 0xff && tail[i + 1] === 0xd9) return true;
  return false;
}

/** Decode with sharp. `input` is a path or the file's bytes. */
export async function readRaster(input: string | Buffer, opts: RasterOptions): Promise<RasterImage> {
  const base = { failOn: 'error' as const, limitInputPixels: opts.maxPixels, sequentialRead: true };
  let meta: Metadata;
  try {
    meta = await sharp(input, base).metadata();
  } catch (err) {
    throw classifySharpError(err, opts.complete);
  }
  const { width, height } = meta;
  if (!width || !height) throw new DecodeError('corrupt', 'image header has no dimensions');
  if (width * height > opts.maxPixels) {
    throw new DecodeError('too_large', `${width}x${height} exceeds the limit of ${opts.maxPixels} pixels (decode.max_pixels, or what decode.memory_budget_mb allows)`);
  }
  const dtype = DEPTH_TO_DTYPE[meta.depth ?? 'uchar'];
  if (!dtype) throw new DecodeError('unsupported', `pixel depth "${meta.depth}" (complex data?)`);
  const channels = meta.channels ?? 1;
  const grey = channels <= 2;
  let pipeline = sharp(input, base);
  // Keep the stored band(s): grey stays one band at its bit depth, colour stays as stored.
  // (Without an explicit 16-bit space libvips would squeeze 16-bit data through 8-bit sRGB.)
  if (grey) {
    if (dtype === 'uint8') pipeline = pipeline.toColourspace('b-w');
    else if (dtype === 'uint16') pipeline = pipeline.toColourspace('grey16');
    else pipeline = pipeline.extractChannel(0); // float/int TIFFs: no colourspace conversion
  } else if (dtype === 'uint16') {
    pipeline = pipeline.toColourspace('rgb16');
  }
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await pipeline.raw({ depth: meta.depth as 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw classifySharpError(err, opts.complete);
  }
  const outDepth = (out.info as OutputInfo & { depth?: string }).depth;
  const outDtype = DEPTH_TO_DTYPE[outDepth ?? meta.depth ?? "uchar"] ?? dtype;
  const view = typedView(out.data, outDtype, true);
  const px = out.info.channels === 1 ? toFloatPixels(view) : grey ? pickBand(view, out.info.channels, width * height) : luminance(view, out.info.channels, width * height, outDtype);
  const density = meta.density && meta.density > 0 ? meta.density : undefined;
  return { ...px, width, height, dtype, ...(density ? { density } : {}) };
}

/** First band of an interleaved grey+alpha image. */
function pickBand(view: ArrayLike<number>, channels: number, pixels: number): Pixels {
  const band = new Float32Array(pixels);
  for (let i = 0, j = 0; i < pixels; i++, j += channels) band[i] = view[j]!;
  return toFloatPixels(band);
}
