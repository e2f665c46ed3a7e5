/**
 * Camera output: relative intensity → 8-bit display image or 16-bit raw-like frame, and
 * the file writers (sharp). PNG encoding through sharp/libpng is deterministic for equal
 * pixels and options (checked by test/sim/determinism.test.ts).
 *
 * 8-bit: a percentile stretch (0.5 %..99.5 % → lo..hi, see toUint8), as microscope software
 * displays and exports images; the percentiles come from a 4096-bin histogram (O(n), no sort).
 * 16-bit: electron counts × gain + offset, like a camera's raw frame: value = 100 + g·N·I with
 * the gain g chosen per image so the mean lands near 20 000 ADU (clipped to 0..65535).
 */
import sharp from 'sharp';

/** Value below which a fraction q of the pixels lie (histogram estimate). */
export function percentile(img: Float32Array, q: number, bins = 4096): number {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < img.length; i++) { const v = img[i]!; if (v < lo) lo = v; if (v > hi) hi = v; }
  if (!(hi > lo)) return lo;
  const h = new Uint32Array(bins);
  const s = (bins - 1) / (hi - lo);
  for (let i = 0; i < img.length; i++) h[Math.floor((img[i]! - lo) * s)]!++;
  const target = q * img.length;
  let acc = 0;
  for (let b = 0; b < bins; b++) { acc += h[b]!; if (acc >= target) return lo + (b + 0.5) / s; }
  return hi;
}

/**
 * Display levels of an 8-bit export: the 0.5 % and 99.5 % percentiles map to `lo` and `hi`.
 * Real exports are not stretched to 0..255 (docs/sim/stats.md: real p1 ≈ 57, p99 ≈ 180), so
 * callers draw lo/hi per image; the defaults are the real images' typical levels.
 */
export function toUint8(img: Float32Array, lo8 = 45, hi8 = 200): Uint8Array {
  const lo = percentile(img, 0.005), hi = percentile(img, 0.995);
  const out = new Uint8Array(img.length);
  const s = hi > lo ? (hi8 - lo8) / (hi - lo) : 0;
  for (let i = 0; i < img.length; i++) {
    const v = Math.round(lo8 + (img[i]! - lo) * s);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}

export function toUint16(img: Float32Array, countsPerPixel: number): Uint16Array {
  let mean = 0;
  for (let i = 0; i < img.length; i++) mean += img[i]!;
  mean /= img.length || 1;
  const gain = 20000 / Math.max(1e-9, mean * countsPerPixel);
  const out = new Uint16Array(img.length);
  for (let i = 0; i < img.length; i++) {
    const v = Math.round(100 + gain * countsPerPixel * img[i]!);
    out[i] = v < 0 ? 0 : v > 65535 ? 65535 : v;
  }
  return out;
}

/** 8-bit grayscale PNG bytes (fixed compression settings, so equal pixels give equal bytes). */
export async function pngBytes(pixels: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel: 6, adaptiveFiltering: false })
    .toBuffer();
}

/** 16-bit grayscale TIFF bytes (uncompressed). */
export async function tiff16Bytes(pixels: Uint16Array, width: number, height: number): Promise<Buffer> {
  // A Uint16Array input tells sharp the raw samples are 16-bit ("ushort").
  return sharp(pixels, { raw: { width, height, channels: 1 } })
    .toColourspace('grey16')
    .tiff({ compression: 'none' })
    .toBuffer();
}
