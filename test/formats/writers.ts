/**
 * Writers for test files (and the decode benchmark): TIFF, MRC2014 and DM3/DM4 written from
 * the format descriptions, independently of the readers' code, so tests can make files with
 * every layout the readers claim to handle (byte orders, pixel types, extended headers,
 * thumbnails, stacks, calibration) without committing binary fixtures.
 */
import { deflateSync } from 'node:zlib';
import type { PixelType } from '../../agent/types.js';

/** Samples -> bytes in the requested order. float16 values are encoded from numbers. */
export function encodeSamples(values: ArrayLike<number>, dtype: PixelType, littleEndian: boolean): Buffer {
  const size = { uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float16: 2, float32: 4, float64: 8 }[dtype];
  const b = Buffer.alloc(values.length * size);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!, o = i * size;
    switch (dtype) {
      case 'uint8': b.writeUInt8(v, o); break;
      case 'int8': b.writeInt8(v, o); break;
      case 'uint16': littleEndian ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o); break;
      case 'int16': littleEndian ? b.writeInt16LE(v, o) : b.writeInt16BE(v, o); break;
      case 'uint32': littleEndian ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o); break;
      case 'int32': littleEndian ? b.writeInt32LE(v, o) : b.writeInt32BE(v, o); break;
      case 'float16': littleEndian ? b.writeUInt16LE(toHalf(v), o) : b.writeUInt16BE(toHalf(v), o); break;
      case 'float32': littleEndian ? b.writeFloatLE(v, o) : b.writeFloatBE(v, o); break;
      case 'float64': littleEndian ? b.writeDoubleLE(v, o) : b.writeDoubleBE(v, o); break;
    }
  }
  return b;
}

/** number -> IEEE half bits (round to nearest, values used in tests are exactly representable). */
export function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (((u >>> 23) & 0xff) === 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) return sign | ((mant | 0x800000) >> (14 - exp));
  return sign | (exp << 10) | (mant >> 13);
}

// ---------------------------------------------------------------- TIFF

export interface TiffSpec {
  width: number;
  height: number;
  dtype: PixelType;
  values: ArrayLike<number>;
  samplesPerPixel?: number;
  littleEndian?: boolean;
  compression?: 1 | 8;
  rowsPerStrip?: number;
  /** Tile size; when set, tiles are written instead of strips. */
  tile?: number;
  /** Pixels per unit; unit 1 none, 2 inch, 3 cm. */
  resolution?: { x: number; y: number; unit: 1 | 2 | 3 };
  /** ASCII tags, e.g. 270 ImageDescription or 34682 FEI metadata. */
  text?: Record<number, string>;
}

const SAMPLE_FORMAT: Record<PixelType, [bits: number, format: number]> = {
  uint8: [8, 1], int8: [8, 2], uint16: [16, 1], int16: [16, 2], uint32: [32, 1], int32: [32, 2], float16: [16, 3], float32: [32, 3], float64: [64, 3],
};

export function writeTiff(spec: TiffSpec): Buffer {
  const le = spec.littleEndian ?? true;
  const spp = spec.samplesPerPixel ?? 1;
  const [bits, fmt] = SAMPLE_FORMAT[spec.dtype];
  const size = bits / 8;
  const pixels = encodeSamples(spec.values, spec.dtype, le);
  const blocks: Buffer[] = [];
  let blockW = spec.width, blockH = spec.rowsPerStrip ?? spec.height;
  if (spec.tile) {
    blockW = blockH = spec.tile;
    for (let ty = 0; ty < spec.height; ty += blockH) {
      for (let tx = 0; tx < spec.width; tx += blockW) {
        const t = Buffer.alloc(blockW * blockH * spp * size);
        for (let r = 0; r < blockH && ty + r < spec.height; r++) {
          const w = Math.min(blockW, spec.width - tx) * spp * size;
          const from = ((ty + r) * spec.width + tx) * spp * size;
          pixels.copy(t, r * blockW * spp * size, from, from + w);
        }
        blocks.push(t);
      }
    }
  } else {
    const rowBytes = spec.width * spp * size;
    for (let y = 0; y < spec.height; y += blockH) blocks.push(pixels.subarray(y * rowBytes, Math.min(spec.height, y + blockH) * rowBytes));
  }
  const data = blocks.map((b) => (spec.compression === 8 ? deflateSync(b) : Buffer.from(b)));
  // Layout: header(8) | blocks | IFD | out-of-line values.
  const entries: Array<[tag: number, type: number, values: number[]]> = [
    [256, 4, [spec.width]], [257, 4, [spec.height]], [258, 3, new Array(spp).fill(bits)], [259, 3, [spec.compression ?? 1]],
    [262, 3, [spp >= 3 ? 2 : 1]], [277, 3, [spp]], [284, 3, [1]], [339, 3, new Array(spp).fill(fmt)],
  ];
  for (const [tag, txt] of Object.entries(spec.text ?? {})) entries.push([Number(tag), 2, Array.from(Buffer.from(txt + '\0', 'latin1'))]);
  if (spec.resolution) entries.push([282, 5, [spec.resolution.x]], [283, 5, [spec.resolution.y]], [296, 3, [spec.resolution.unit]]);
  let offset = 8;
  const offsets = data.map((d) => { const o = offset; offset += d.length; return o; });
  if (spec.tile) entries.push([322, 3, [blockW]], [323, 3, [blockH]], [324, 4, offsets], [325, 4, data.map((d) => d.length)]);
  else entries.push([273, 4, offsets], [278, 4, [blockH]], [279, 4, data.map((d) => d.length)]);
  entries.sort((a, b) => a[0] - b[0]);
  const ifdOffset = offset + (offset % 2);
  const ifdSize = 2 + entries.length * 12 + 4;
  let extra = ifdOffset + ifdSize;
  const head = Buffer.alloc(8);
  if (le) { head.write('II', 0, 'latin1'); head.writeUInt16LE(42, 2); head.writeUInt32LE(ifdOffset, 4); }
  else { head.write('MM', 0, 'latin1'); head.writeUInt16BE(42, 2); head.writeUInt32BE(ifdOffset, 4); }
  const ifd = Buffer.alloc(ifdSize);
  const extras: Buffer[] = [];
  const u16 = (b: Buffer, v: number, o: number) => (le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const u32 = (b: Buffer, v: number, o: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  u16(ifd, entries.length, 0);
  entries.forEach(([tag, type, values], i) => {
    const e = 2 + i * 12;
    u16(ifd, tag, e); u16(ifd, type, e + 2); u32(ifd, values.length, e + 4);
    const vb = Buffer.alloc(values.length * (type === 2 ? 1 : type === 3 ? 2 : type === 4 ? 4 : 8));
    values.forEach((v, k) => {
      if (type === 2) vb[k] = v;
      else if (type === 3) u16(vb, v, k * 2);
      else if (type === 4) u32(vb, v, k * 4);
      else { const den = v < 4e6 ? 1000 : 1; u32(vb, Math.round(v * den), k * 8); u32(vb, den, k * 8 + 4); }
    });
    if (vb.length <= 4) vb.copy(ifd, e + 8);
    else { u32(ifd, extra, e + 8); extras.push(vb); extra += vb.length; }
  });
  return Buffer.concat([head, ...data, Buffer.alloc(ifdOffset - offset), ifd, ...extras]);
}

// ---------------------------------------------------------------- MRC

export interface MrcSpec {
  nx: number; ny: number; nz?: number;
  mode: 0 | 1 | 2 | 6 | 12 | 3 | 4 | 16;
  values: ArrayLike<number>;
  littleEndian?: boolean;
  /** Extended header bytes (NSYMBT), filled with a pattern. */
  extended?: number;
  /** CELLA in Angstrom; with MX=NX, MY=NY this is the pixel size * dimension. */
  cell?: [number, number, number];
  /** Leave MACHST blank (older writers) to exercise the byte-order heuristic. */
  blankStamp?: boolean;
}

const MRC_DTYPE: Record<number, PixelType> = { 0: 'int8', 1: 'int16', 2: 'float32', 6: 'uint16', 12: 'float16', 3: 'int16', 4: 'float32', 16: 'uint8' };

export function writeMrc(spec: MrcSpec): Buffer {
  const le = spec.littleEndian ?? true;
  const nz = spec.nz ?? 1;
  const h = Buffer.alloc(1024);
  const i32 = (o: number, v: number) => (le ? h.writeInt32LE(v, o) : h.writeInt32BE(v, o));
  const f32 = (o: number, v: number) => (le ? h.writeFloatLE(v, o) : h.writeFloatBE(v, o));
  i32(0, spec.nx); i32(4, spec.ny); i32(8, nz); i32(12, spec.mode);
  i32(28, spec.nx); i32(32, spec.ny); i32(36, nz);
  const cell = spec.cell ?? [0, 0, 0];
  f32(40, cell[0]); f32(44, cell[1]); f32(48, cell[2]);
  f32(52, 90); f32(56, 90); f32(60, 90);
  i32(64, 1); i32(68, 2); i32(72, 3);
  i32(92, spec.extended ?? 0);
  h.write('MRCO', 104, 'latin1');
  i32(108, 20140);
  h.write('MAP ', 208, 'latin1');
  if (!spec.blankStamp) { if (le) h.set([0x44, 0x44, 0, 0], 212); else h.set([0x11, 0x11, 0, 0], 212); }
  const ext = Buffer.alloc(spec.extended ?? 0, 0xab);
  return Buffer.concat([h, ext, encodeSamples(spec.values, MRC_DTYPE[spec.mode]!, le)]);
}

// ---------------------------------------------------------------- DM3 / DM4

type Tag = { name: string } & ({ group: Tag[] } | { type: number; value: number } | { string: string } | { array: Buffer; elemType: number; count: number });

/** DM simple type codes and sizes. */
const DM_SIZE: Record<number, number> = { 2: 2, 3: 4, 4: 2, 5: 4, 6: 4, 7: 8, 8: 1, 9: 1, 10: 1, 11: 8, 12: 8 };

export interface DmImageSpec {
  width: number;
  height: number;
  frames?: number;
  /** DM DataType code: 1 i16, 2 f32, 6 u8, 7 i32, 9 i8, 10 u16, 11 u32, 12 f64, 23 RGBA, 3 complex. */
  dataType: number;
  values: ArrayLike<number>;
  calibration?: Array<{ scale: number; origin: number; units: string }>;
  /** Dimensions as written, overriding width/height/frames (e.g. [n] for a 1-D spectrum). */
  dims?: number[];
}

const DM_DTYPE: Record<number, [PixelType, number]> = {
  1: ['int16', 2], 2: ['float32', 6], 6: ['uint8', 10], 7: ['int32', 3], 9: ['int8', 9], 10: ['uint16', 4], 11: ['uint32', 5], 12: ['float64', 7], 23: ['uint32', 5], 3: ['float32', 6],
};

function imageTag(img: DmImageSpec, le: boolean): Tag {
  const [dtype, elemType] = DM_DTYPE[img.dataType]!;
  const data = encodeSamples(img.values, dtype, le);
  const dims = img.dims ?? (img.frames && img.frames > 1 ? [img.width, img.height, img.frames] : [img.width, img.height]);
  const cal = img.calibration ?? dims.map(() => ({ scale: 1, origin: 0, units: '' }));
  return {
    name: '', group: [
      { name: 'ImageData', group: [
        { name: 'Calibrations', group: [
          { name: 'Brightness', group: [{ name: 'Origin', type: 6, value: 0 }, { name: 'Scale', type: 6, value: 1 }] },
          { name: 'Dimension', group: cal.map((c) => ({ name: '', group: [
            { name: 'Origin', type: 6, value: c.origin }, { name: 'Scale', type: 6, value: c.scale },
            { name: 'Units', array: utf16(c.units, le), elemType: 4, count: c.units.length },
          ] })) },
        ] },
        { name: 'Data', array: data, elemType, count: data.length / DM_SIZE[elemType]! },
        { name: 'DataType', type: 3, value: img.dataType },
        { name: 'Dimensions', group: dims.map((d) => ({ name: '', type: 5, value: d })) },
        { name: 'PixelDepth', type: 5, value: data.length / img.values.length },
      ] },
      { name: 'ImageTags', group: [] },
      // DM writes names as u16 arrays; the string type (18) is exercised by the tag tests.
      { name: 'Name', array: utf16('test image', le), elemType: 4, count: 'test image'.length },
    ],
  };
}

function utf16(s: string, le: boolean): Buffer {
  const b = Buffer.alloc(s.length * 2);
  for (let i = 0; i < s.length; i++) le ? b.writeUInt16LE(s.charCodeAt(i), i * 2) : b.writeUInt16BE(s.charCodeAt(i), i * 2);
  return b;
}

export interface DmSpec {
  version: 3 | 4;
  littleEndian?: boolean;
  images: DmImageSpec[];
  /** Prepend the usual RGBA thumbnail (default true). */
  thumbnail?: boolean;
  /** Name the thumbnail in a root Thumbnails group, as DM does (default true). */
  listThumbnails?: boolean;
  /** Add a root tag of DM's string type (18), 2 bytes per character as Gwyddion reads it. */
  stringTag?: string;
}

function withThumbFirst(spec: DmSpec): boolean { return spec.thumbnail ?? true; }

export function writeDm(spec: DmSpec): Buffer {
  const le = spec.littleEndian ?? true;
  const dm4 = spec.version === 4;
  const count = (n: number) => { const b = Buffer.alloc(dm4 ? 8 : 4); dm4 ? b.writeBigUInt64BE(BigInt(n)) : b.writeUInt32BE(n); return b; };
  const value = (type: number, v: number) => {
    const b = Buffer.alloc(DM_SIZE[type]!);
    const w: Record<number, () => void> = {
      2: () => (le ? b.writeInt16LE(v) : b.writeInt16BE(v)), 3: () => (le ? b.writeInt32LE(v) : b.writeInt32BE(v)),
      4: () => (le ? b.writeUInt16LE(v) : b.writeUInt16BE(v)), 5: () => (le ? b.writeUInt32LE(v) : b.writeUInt32BE(v)),
      6: () => (le ? b.writeFloatLE(v) : b.writeFloatBE(v)), 7: () => (le ? b.writeDoubleLE(v) : b.writeDoubleBE(v)),
      8: () => b.writeUInt8(v), 9: () => b.writeInt8(v), 10: () => b.writeUInt8(v),
    };
    w[type]!();
    return b;
  };
  const encodeGroup = (tags: Tag[]): Buffer => Buffer.concat([Buffer.from([0, 1]), count(tags.length), ...tags.map(encodeTag)]);
  const encodeTag = (t: Tag): Buffer => {
    const name = Buffer.from(t.name, 'latin1');
    const nameLen = Buffer.alloc(2); nameLen.writeUInt16BE(name.length);
    let body: Buffer;
    let kind = 21;
    if ('group' in t) { kind = 20; body = encodeGroup(t.group); }
    else if ('type' in t) body = Buffer.concat([Buffer.from('%%%%'), count(1), count(t.type), value(t.type, t.value)]);
    else if ('string' in t) body = Buffer.concat([Buffer.from('%%%%'), count(2), count(18), count(t.string.length), utf16(t.string, le)]);
    else body = Buffer.concat([Buffer.from('%%%%'), count(3), count(20), count(t.elemType), count(t.count), t.array]);
    return Buffer.concat([Buffer.from([kind]), nameLen, name, ...(dm4 ? [count(body.length)] : []), body]);
  };
  const images = spec.images.map((img) => imageTag(img, le));
  if (withThumbFirst(spec)) images.unshift(imageTag({ width: 4, height: 4, dataType: 23, values: new Array(16).fill(0xff808080) }, le));
  const withThumb = spec.thumbnail ?? true;
  const root = encodeGroup([
    { name: 'ApplicationBounds', group: [{ name: '', type: 3, value: 0 }] },
    ...(spec.stringTag !== undefined ? [{ name: 'Comment', string: spec.stringTag }] : []),
    { name: 'ImageList', group: images },
    ...(withThumb && spec.listThumbnails !== false ? [{ name: 'Thumbnails', group: [{ name: '', group: [{ name: 'ImageIndex', type: 5, value: 0 }] }] }] : []),
  ]);
  const head = Buffer.alloc(dm4 ? 16 : 12);
  head.writeUInt32BE(spec.version, 0);
  if (dm4) { head.writeBigUInt64BE(BigInt(root.length + 8), 4); head.writeUInt32BE(le ? 1 : 0, 12); }
  else { head.writeUInt32BE(root.length + 8, 4); head.writeUInt32BE(le ? 1 : 0, 8); }
  return Buffer.concat([head, root, Buffer.alloc(8)]);
}
