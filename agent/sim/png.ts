/**
 * A synchronous PNG reader to grey levels, for the renderer's real backgrounds (render() is a
 * pure synchronous function; sharp only decodes asynchronously). Supports what micrographs
 * use: 8- or 16-bit grey, grey+alpha, RGB, RGBA, 8-bit palette; not interlaced. Colour is
 * turned into grey by Rec. 601 luma; alpha is ignored.
 */
import { inflateSync } from 'node:zlib';

export interface GreyImage { width: number; height: number; /** Grey levels 0..255 (16-bit input scaled). */ data: Float32Array }

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

export function decodePngGrey(buf: Buffer, name = 'PNG'): GreyImage {
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new Error(`${name}: not a PNG file`);
  let pos = 8, width = 0, height = 0, depth = 0, colour = 0, interlace = 0;
  let palette: Buffer | null = null;
  const idat: Buffer[] = [];
  while (pos + 8 <= buf.length) {
    const len = buf.readUInt32BE(pos), type = buf.toString('latin1', pos + 4, pos + 8);
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (body.length < len) throw new Error(`${name}: truncated ${type} chunk`);
    if (type === 'IHDR') { width = body.readUInt32BE(0); height = body.readUInt32BE(4); depth = body[8]!; colour = body[9]!; interlace = body[12]!; }
    else if (type === 'PLTE') palette = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colour];
  if (!width || !height || !channels) throw new Error(`${name}: missing or unsupported header (colour type ${colour})`);
  if (interlace) throw new Error(`${name}: interlaced PNG is not supported`);
  if (!(depth === 8 || (depth === 16 && colour !== 3))) throw new Error(`${name}: bit depth ${depth} is not supported`);
  const bpp = channels * (depth / 8), stride = width * bpp;
  const raw = inflateSync(Buffer.concat(idat));
  if (raw.length < height * (stride + 1)) throw new Error(`${name}: image data too short`);
  const rows = unfilter(raw, height, stride, bpp);
  const out = new Float32Array(width * height);
  const sample = (o: number): number => (depth === 8 ? rows[o]! : (rows[o]! * 256 + rows[o + 1]!) / 257);
  const step = depth / 8;
  for (let i = 0; i < width * height; i++) {
    const o = i * bpp;
    if (colour === 3) {
      const k = 3 * rows[o]!;
      out[i] = palette ? 0.299 * palette[k]! + 0.587 * palette[k + 1]! + 0.114 * palette[k + 2]! : 0;
    } else if (channels >= 3) out[i] = 0.299 * sample(o) + 0.587 * sample(o + step) + 0.114 * sample(o + 2 * step);
    else out[i] = sample(o);
  }
  return { width, height, data: out };
}

/** Reverses the PNG row filters (None, Sub, Up, Average, Paeth) into contiguous rows. */
function unfilter(raw: Buffer, height: number, stride: number, bpp: number): Uint8Array {
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!, src = y * (stride + 1) + 1, dst = y * stride, up = dst - stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[dst + x - bpp]! : 0, b = y > 0 ? out[up + x]! : 0, c = x >= bpp && y > 0 ? out[up + x - bpp]! : 0;
      const v = raw[src + x]!;
      let p: number;
      if (f === 0) p = 0;
      else if (f === 1) p = a;
      else if (f === 2) p = b;
      else if (f === 3) p = (a + b) >> 1;
      else if (f === 4) { const q = a + b - c, pa = Math.abs(q - a), pb = Math.abs(q - b), pc = Math.abs(q - c); p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c; }
      else throw new Error(`PNG: unknown row filter ${f}`);
      out[dst + x] = (v + p) & 255;
    }
  }
  return out;
}
