/**
 * Mask helpers shared by the RGB adapters: a soft full-image mask cut to its box, and a small
 * fixed-size mask (Detectron2's 28x28) pasted into its box by bilinear sampling, both giving
 * the box-local bitmask the rest of temguard uses.
 */
import type { Box, Mask } from '../types.js';

const EPS = 1e-3;

/** Integer pixel rectangle covering a float box, clipped to the image; null when empty. */
export function pixelRect(box: Box, width: number, height: number): { x0: number; y0: number; x1: number; y1: number } | null {
  // EPS: a box edge at 19.999999 (float32 scaling) is the pixel edge 20, not a pixel more
  const x0 = Math.max(0, Math.floor(box[0] + EPS));
  const y0 = Math.max(0, Math.floor(box[1] + EPS));
  const x1 = Math.min(width, Math.ceil(box[2] - EPS));
  const y1 = Math.min(height, Math.ceil(box[3] - EPS));
  return x1 > x0 && y1 > y0 ? { x0, y0, x1, y1 } : null;
}

/**
 * Box-local mask from a per-pixel function over the box's pixel rectangle; null when the
 * box is empty or no pixel is inside (a detection without a usable mask keeps only its box).
 */
export function maskFrom(box: Box, width: number, height: number, inside: (x: number, y: number) => boolean): Mask | undefined {
  const r = pixelRect(box, width, height);
  if (!r) return undefined;
  const w = r.x1 - r.x0;
  const h = r.y1 - r.y0;
  const data = new Uint8Array(w * h);
  let any = false;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    if (inside(r.x0 + x, r.y0 + y)) { data[y * w + x] = 1; any = true; }
  }
  return any ? { x0: r.x0, y0: r.y0, width: w, height: h, data } : undefined;
}

/** Bilinear sample of a m x m (or mw x mh) grid at continuous coords (u,v) in grid pixels, edges clamped. */
export function bilinear(grid: Float32Array, offset: number, mw: number, mh: number, u: number, v: number): number {
  const fx = Math.min(Math.max(u, 0), mw - 1);
  const fy = Math.min(Math.max(v, 0), mh - 1);
  const x0 = Math.floor(fx), y0 = Math.floor(fy);
  const x1 = Math.min(x0 + 1, mw - 1), y1 = Math.min(y0 + 1, mh - 1);
  const wx = fx - x0, wy = fy - y0;
  const at = (x: number, y: number): number => grid[offset + y * mw + x]!;
  return (at(x0, y0) * (1 - wx) + at(x1, y0) * wx) * (1 - wy) + (at(x0, y1) * (1 - wx) + at(x1, y1) * wx) * wy;
}

/**
 * Detectron2's paste_masks_in_image: the m x m mask spans the box exactly; pixel centre (x+.5)
 * maps to grid coordinate (x + .5 - x1) / (x2 - x1) * m - .5 (align_corners=False); >= threshold.
 * Samples outside the grid are 0 in Detectron2 (grid_sample zero padding), so pixels whose
 * centre falls outside the box are outside the mask.
 */
export function pasteMask(grid: Float32Array, offset: number, m: number, box: Box, width: number, height: number, threshold = 0.5): Mask | undefined {
  const bw = box[2] - box[0];
  const bh = box[3] - box[1];
  if (!(bw > 0 && bh > 0)) return undefined;
  return maskFrom(box, width, height, (x, y) => {
    const cx = x + 0.5, cy = y + 0.5;
    if (cx < box[0] || cx > box[2] || cy < box[1] || cy > box[3]) return false;
    const u = ((cx - box[0]) / bw) * m - 0.5;
    const v = ((cy - box[1]) / bh) * m - 0.5;
    return bilinear(grid, offset, m, m, u, v) >= threshold;
  });
}
