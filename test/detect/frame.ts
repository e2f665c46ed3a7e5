/** Test helper: a Frame from an image file via sharp directly (decode.ts is another stage). */
import sharp from 'sharp';
import type { Frame } from '../../agent/types.js';

export async function frameFromFile(path: string): Promise<Frame> {
  const { data, info } = await sharp(path).greyscale().raw().toBuffer({ resolveWithObject: true });
  const px = new Float32Array(info.width * info.height);
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < px.length; i++) {
    const v = data[i * info.channels]!;
    px[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { width: info.width, height: info.height, data: px, dtype: 'uint8', min, max, mean: sum / px.length, pixelSize: null, format: info.format };
}

/** The same image as a 16-bit camera would deliver it (x257 + offset). */
export function as16bit(f: Frame): Frame {
  const data = f.data.map((v) => v * 257 + 300);
  return { ...f, data, dtype: 'uint16', min: f.min * 257 + 300, max: f.max * 257 + 300, mean: f.mean * 257 + 300 };
}
