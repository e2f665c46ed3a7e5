/**
 * Gatan DigitalMicrograph DM3/DM4 images: the main image of the file with its full range
 * and its calibration. Rules, stated once:
 * - main image: the largest image that the root Thumbnails group does not list (without
 *   that group, the first of several images is the thumbnail, as DM writes it);
 * - pixel types: DataType 1 i16, 2 f32, 6 u8, 7 i32, 9 i8, 10 u16, 11 u32, 12 f64, 14 binary;
 *   complex (3, 5, 13), RGB (8, 23) and 64-bit integers are 'unsupported';
 * - dimensions are X first; 1-D data (a spectrum) and spectrum images (third axis in eV) are
 *   'unsupported'; of a stack (3-D or more) the first frame is read;
 * - pixel size: Calibrations.Dimension.{0,1}.Scale in its Units, converted to nm; null when
 *   the unit is not a length (1/nm for diffraction, "" for uncalibrated).
 */
import type { PixelSize, PixelType } from '../types.js';
import { pixelSizeNm } from './calibration.js';
import { child, items, parseDm, path, textOf, type DmArray, type DmValue } from './dm-tags.js';
import { DecodeError } from './errors.js';
import { BYTES_PER_SAMPLE, readFloatPixels, type Pixels } from './pixels.js';
import type { ByteSource } from './source.js';

const DATA_TYPES: Record<number, PixelType> = { 1: 'int16', 2: 'float32', 6: 'uint8', 7: 'int32', 9: 'int8', 10: 'uint16', 11: 'uint32', 12: 'float64', 14: 'uint8' };
const UNSUPPORTED_TYPES: Record<number, string> = {
  3: 'complex (FFT) data', 5: 'packed complex (FFT) data', 13: 'complex (FFT) data', 27: 'packed complex (FFT) data', 28: 'packed complex (FFT) data', 8: 'RGB data', 23: 'RGBA data', 39: '64-bit integer data', 40: '64-bit integer data', 4: 'obsolete data type 4',
};

export interface DmImage extends Pixels {
  width: number;
  height: number;
  dtype: PixelType;
  format: 'dm3' | 'dm4';
  pixelSize: PixelSize | null;
  /** Frames in the chosen image (1 for a plain image); only the first is returned. */
  frames: number;
  /** Index of the chosen image in ImageList. */
  imageIndex: number;
  /** Raw calibration of each dimension, for callers that want origin or units as stored. */
  calibration: Array<{ scale: number; origin: number; units: string }>;
}

interface Candidate { index: number; image: DmValue; dims: number[]; pixels: number }

function numberOf(v: DmValue | undefined): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

function candidates(list: DmValue[]): Candidate[] {
  return list.map((image, index) => {
    const dims = items(path(image, 'ImageData', 'Dimensions')).map((d) => numberOf(d) ?? 0);
    return { index, image, dims, pixels: dims.length ? dims.reduce((a, b) => a * b, 1) : 0 };
  });
}

/**
 * The main image: the largest that is not a thumbnail. Thumbnails are the ImageList indices
 * the root "Thumbnails" group names (DM writes it); without that group, the first of
 * several images is taken to be the thumbnail, which is where DM puts it.
 */
function pickMain(all: Candidate[], thumbnails: Set<number>): Candidate {
  const pool = thumbnails.size > 0 ? all.filter((c) => !thumbnails.has(c.index)) : all.length > 1 ? all.slice(1) : all;
  if (pool.length === 0) throw new DecodeError('unsupported', 'DM file holds only a thumbnail');
  let best = pool[0]!;
  for (const c of pool) if (c.pixels > best.pixels) best = c;
  return best;
}

function thumbnailIndices(root: DmValue): Set<number> {
  const out = new Set<number>();
  for (const t of items(child(root, 'Thumbnails'))) {
    const i = numberOf(child(t, 'ImageIndex'));
    if (i !== undefined) out.add(i);
  }
  return out;
}

export interface DmOptions { maxPixels: number }

export function readDm(src: ByteSource, opts: DmOptions): DmImage {
  const file = parseDm(src);
  const list = items(child(file.root, 'ImageList'));
  if (list.length === 0) throw new DecodeError('unsupported', 'DM file holds no image (ImageList is empty)');
  const main = pickMain(candidates(list), thumbnailIndices(file.root));
  const imageData = child(main.image, 'ImageData');
  const typeCode = numberOf(child(imageData, 'DataType'));
  if (typeCode === undefined) throw new DecodeError('corrupt', 'DM image has no DataType');
  const dtype = DATA_TYPES[typeCode];
  if (!dtype) throw new DecodeError('unsupported', `DM image holds ${UNSUPPORTED_TYPES[typeCode] ?? `data type ${typeCode}`}, not a real-valued greyscale image`);
  const calibration = readCalibration(src, imageData, file.littleEndian);
  const dims = main.dims;
  if (dims.length < 2) throw new DecodeError('unsupported', `DM data is ${dims.length}-dimensional (a spectrum?), not an image`);
  if (dims.length >= 3 && /ev$/i.test(calibration[2]?.units.trim() ?? '')) {
    throw new DecodeError('unsupported', 'DM data is a spectrum image (third axis in eV), not an image');
  }
  const [width, height] = dims as [number, number];
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 1)) throw new DecodeError('corrupt', `DM image dimensions ${dims.join('x')}`);
  if (width < 1 || height < 1) throw new DecodeError('corrupt', `DM image dimensions ${width}x${height}`);
  if (width * height > opts.maxPixels) throw new DecodeError('too_large', `${width}x${height} exceeds the limit of ${opts.maxPixels} pixels (decode.max_pixels, or what decode.memory_budget_mb allows)`);
  const frames = dims.slice(2).reduce((a, b) => a * b, 1);
  const data = child(imageData, 'Data');
  if (!data || typeof data !== 'object' || data.kind !== 'array') throw new DecodeError('corrupt', 'DM image has no Data array');
  const frameBytes = width * height * BYTES_PER_SAMPLE[dtype];
  checkDataSize(data, frameBytes * frames);
  const px = readFloatPixels(src, data.offset, width * height, dtype, file.littleEndian);
  const [cx, cy] = calibration;
  const pixelSize = cx && cy ? pixelSizeXY(cx, cy) : null;
  return { ...px, width, height, dtype, format: file.version === 4 ? 'dm4' : 'dm3', pixelSize, frames, imageIndex: main.index, calibration };
}

function checkDataSize(data: DmArray, needed: number): void {
  const have = data.count * data.elemSize;
  if (have < needed) throw new DecodeError('corrupt', `DM Data array holds ${have} bytes, dimensions need ${needed}`);
}

function pixelSizeXY(cx: { scale: number; units: string }, cy: { scale: number; units: string }): PixelSize | null {
  const x = pixelSizeNm(Math.abs(cx.scale), 1, cx.units);
  const y = pixelSizeNm(Math.abs(cy.scale), 1, cy.units);
  return x && y ? { x: x.x, y: y.x, unit: 'nm' } : null;
}

function readCalibration(src: ByteSource, imageData: DmValue | undefined, le: boolean): DmImage['calibration'] {
  return items(path(imageData, 'Calibrations', 'Dimension')).map((d) => ({
    scale: numberOf(child(d, 'Scale')) ?? 1,
    origin: numberOf(child(d, 'Origin')) ?? 0,
    units: textOf(src, child(d, 'Units'), le) ?? '',
  }));
}
