/**
 * Pre-processing for detectors trained on ordinary 8-bit RGB pictures (Mask R-CNN, Detectron2,
 * YOLO): the grayscale Frame is brought to 0..255 (8-bit frames as they are; 16-bit and float
 * frames by a linear map of their 0.1-99.9 percentile range, so one hot pixel does not darken
 * the image), resized or letterboxed with bilinear interpolation (pixel centres aligned, as
 * OpenCV's INTER_LINEAR and torch's align_corners=False) and replicated to 3 channels (gray has
 * no colour order, so RGB and BGR are the same planes).
 */
import type { Frame } from '../types.js';
import { percentiles } from './normalise.js';

/** The frame's pixels on a 0..255 scale. */
export function to255(frame: Frame): Float32Array {
  if (frame.dtype === 'uint8') return frame.data;
  const [lo, hi] = percentiles(frame.data, [0.1, 99.9]);
  const k = hi! > lo! ? 255 / (hi! - lo!) : 0;
  const out = new Float32Array(frame.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = (frame.data[i]! - lo!) * k;
    out[i] = v > 0 ? (v < 255 ? v : 255) : 0;
  }
  return out;
}

/** Bilinear resize of a single plane with half-pixel centres; edges clamp. */
export function resizeBilinear(src: Float32Array, w: number, h: number, nw: number, nh: number): Float32Array {
  const out = new Float32Array(nw * nh);
  const sx = w / nw;
  const sy = h / nh;
  for (let y = 0; y < nh; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const wy = fy - y0;
    for (let x = 0; x < nw; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const wx = fx - x0;
      const top = src[y0 * w + x0]! * (1 - wx) + src[y0 * w + x1]! * wx;
      const bot = src[y1 * w + x0]! * (1 - wx) + src[y1 * w + x1]! * wx;
      out[y * nw + x] = top * (1 - wy) + bot * wy;
    }
  }
  return out;
}

/** Replicates one plane into a CHW 3-channel buffer, multiplied by `scale`. */
export function grayToChw3(plane: Float32Array, scale: number): Float32Array {
  const n = plane.length;
  const out = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const v = plane[i]! * scale;
    out[i] = v;
    out[n + i] = v;
    out[2 * n + i] = v;
  }
  return out;
}

/** Where an image went inside a letterboxed square input (Ultralytics LetterBox, centred). */
export interface Letterbox {
  size: number;
  ratio: number;
  /** Resized image size inside the input. */
  width: number;
  height: number;
  left: number;
  top: number;
}

/** Ultralytics' rounding: new size round(w*r), padding split with round(d/2 -+ 0.1). */
export function letterboxGeometry(w: number, h: number, size: number): Letterbox {
  const ratio = Math.min(size / w, size / h);
  const width = Math.round(w * ratio);
  const height = Math.round(h * ratio);
  const left = Math.max(0, Math.round((size - width) / 2 - 0.1)); // max: no -0
  const top = Math.max(0, Math.round((size - height) / 2 - 0.1));
  return { size, ratio, width, height, left, top };
}

/** The plane resized into a size x size canvas filled with `pad` (114 for Ultralytics). */
export function letterbox(plane: Float32Array, w: number, h: number, g: Letterbox, pad: number): Float32Array {
  const resized = g.width === w && g.height === h ? plane : resizeBilinear(plane, w, h, g.width, g.height);
  const out = new Float32Array(g.size * g.size).fill(pad);
  for (let y = 0; y < g.height; y++) out.set(resized.subarray(y * g.width, (y + 1) * g.width), (y + g.top) * g.size + g.left);
  return out;
}
