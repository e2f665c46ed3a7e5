/**
 * Probability map -> instances: 8-connected components of the pixels at or above a threshold,
 * each with its bounding box, box-local mask and a confidence taken from the map (the mean
 * probability over the component, so a faint, uncertain blob scores lower than a crisp one).
 */
import type { Detection } from '../types.js';

export interface ComponentOptions {
  threshold: number;
  /** Components with fewer pixels are dropped (isolated noise). */
  minArea: number;
  label?: number;
}

/**
 * `prob` is a row-major map of `width` x `height` values read at stride `rowStride` (so a
 * padded network output can be cropped without copying). Returns detections sorted by score
 * descending, in the map's pixel coordinates.
 */
export function componentsToDetections(prob: Float32Array, width: number, height: number, rowStride: number, opts: ComponentOptions): Detection[] {
  const labels = new Int32Array(width * height); // 0 = unvisited
  const stack = new Int32Array(width * height);
  const out: Detection[] = [];
  let next = 0;
  for (let start = 0; start < width * height; start++) {
    if (labels[start] !== 0) continue;
    const sy = Math.floor(start / width);
    if (prob[sy * rowStride + (start - sy * width)]! < opts.threshold) continue;
    next++;
    const comp = flood(prob, width, height, rowStride, opts.threshold, start, next, labels, stack);
    if (comp.area < opts.minArea) continue;
    out.push(toDetection(comp, labels, width, next, opts.label ?? 0));
  }
  return out.sort((a, b) => b.score - a.score);
}

interface Component {
  area: number;
  sum: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Depth-first flood fill from `start`, labelling pixels with `id`; returns the component's stats. */
function flood(prob: Float32Array, width: number, height: number, rowStride: number, t: number,
  start: number, id: number, labels: Int32Array, stack: Int32Array): Component {
  const c: Component = { area: 0, sum: 0, x1: width, y1: height, x2: -1, y2: -1 };
  let top = 0;
  stack[top++] = start;
  labels[start] = id;
  while (top > 0) {
    const p = stack[--top]!;
    const y = Math.floor(p / width);
    const x = p - y * width;
    c.area++;
    c.sum += prob[y * rowStride + x]!;
    if (x < c.x1) c.x1 = x;
    if (x > c.x2) c.x2 = x;
    if (y < c.y1) c.y1 = y;
    if (y > c.y2) c.y2 = y;
    for (let dy = -1; dy <= 1; dy++) {
      const ny = y + dy;
      if (ny < 0 || ny >= height) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const nx = x + dx;
        if (nx < 0 || nx >= width || (dx === 0 && dy === 0)) continue;
        const q = ny * width + nx;
        if (labels[q] !== 0 || prob[ny * rowStride + nx]! < t) continue;
        labels[q] = id;
        stack[top++] = q;
      }
    }
  }
  return c;
}

function toDetection(c: Component, labels: Int32Array, width: number, id: number, label: number): Detection {
  const w = c.x2 - c.x1 + 1;
  const h = c.y2 - c.y1 + 1;
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const row = (c.y1 + y) * width + c.x1;
    for (let x = 0; x < w; x++) if (labels[row + x] === id) data[y * w + x] = 1;
  }
  const score = Math.min(1, Math.max(0, c.sum / c.area));
  return { box: [c.x1, c.y1, c.x2 + 1, c.y2 + 1], score, label, mask: { x0: c.x1, y0: c.y1, width: w, height: h, data } };
}
