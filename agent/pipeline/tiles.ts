/**
 * Tile plans for fully convolutional detectors: a frame too large for one input is cut into
 * windows of one fixed size (the same tensor shape every run, so onnxruntime's arena and a
 * TensorRT engine are reused), each with `margin` pixels of context around the core it is
 * trusted for. Cores tile the frame exactly; stitching the cores' outputs gives the map the
 * whole-frame run would give, up to the network's reach beyond the margin.
 * A window may reach past the frame's right or bottom edge (edge-replicated).
 */
import { padTo } from '../adapters/unet.js';

/** One window: where its input starts in the frame, and the core of the frame its output fills. */
export interface Tile {
  /** Input window origin in the frame (the window may reach past the frame: edge-replicated). */
  ix: number;
  iy: number;
  /** Core [cx0, cx1) x [cy0, cy1), in frame pixels. */
  cx0: number;
  cy0: number;
  cx1: number;
  cy1: number;
}

export interface TilePlan {
  /** Input window size (multiples of the stride); the same for every tile. */
  width: number;
  height: number;
  tiles: Tile[];
}

interface AxisPlan { window: number; spans: { origin: number; c0: number; c1: number }[] }

/**
 * Along one axis: one span when the frame fits in core + margins, else equal cores of at most
 * `core` px. Window origins sit on multiples of the stride: a network that pools 4 times sees
 * other features in a window shifted by a non-multiple of 16 (measured on a real frame: up to
 * 0.99 of probability apart), so only aligned windows reproduce the whole-frame map. The
 * stride added to the window absorbs the alignment; past the frame's end it is edge-padded,
 * as the whole-frame input is.
 */
function axisPlan(len: number, core: number, margin: number, stride: number): AxisPlan {
  if (len <= core + 2 * margin) return { window: padTo(len, stride), spans: [{ origin: 0, c0: 0, c1: len }] };
  const n = Math.ceil(len / core);
  const c = Math.ceil(len / n);
  const window = padTo(c + 2 * margin, stride) + stride;
  const spans: AxisPlan['spans'] = [];
  for (let c0 = 0; c0 < len; c0 += c) {
    spans.push({ origin: Math.max(0, Math.floor((c0 - margin) / stride) * stride), c0, c1: Math.min(len, c0 + c) });
  }
  return { window, spans };
}

/**
 * Tiles for a width x height frame with cores of at most `core` px (a frame that fits in
 * core + 2 * margin along an axis is not cut along it), `margin` px of context, and windows
 * padded to multiples of `stride`.
 */
export function planTiles(width: number, height: number, core: number, margin: number, stride: number): TilePlan {
  if (!(core > 0 && margin >= 0 && stride > 0)) throw new RangeError(`bad tile plan: core ${core}, margin ${margin}, stride ${stride}`);
  const ax = axisPlan(width, core, margin, stride);
  const ay = axisPlan(height, core, margin, stride);
  const tiles: Tile[] = [];
  for (const y of ay.spans) for (const x of ax.spans) tiles.push({ ix: x.origin, iy: y.origin, cx0: x.c0, cy0: y.c0, cx1: x.c1, cy1: y.c1 });
  return { width: ax.window, height: ay.window, tiles };
}

/**
 * Fills `out` (plan width x height) with the tile's window of `src` (width x height),
 * edge-replicated past the frame, mapped by clamp((v - offset) * gain, 0, 1) (NaN -> 0).
 */
export function fillWindow(src: Float32Array, width: number, height: number, tile: Tile, out: Float32Array, ww: number, wh: number, offset: number, gain: number): void {
  for (let y = 0; y < wh; y++) {
    const sy = Math.min(tile.iy + y, height - 1);
    const row = sy * width;
    const o = y * ww;
    const inside = Math.max(0, Math.min(ww, width - tile.ix));
    for (let x = 0; x < inside; x++) {
      const v = (src[row + tile.ix + x]! - offset) * gain;
      out[o + x] = v > 0 ? (v < 1 ? v : 1) : 0;
    }
    if (inside < ww) out.fill(out[o + inside - 1]!, o + inside, o + ww);
  }
}

/** Copies the tile's core out of a window's output (ww wide) into the frame-size map. */
export function copyCore(win: Float32Array, ww: number, tile: Tile, map: Float32Array, width: number): void {
  const w = tile.cx1 - tile.cx0;
  const dx = tile.cx0 - tile.ix;
  for (let y = tile.cy0; y < tile.cy1; y++) {
    const from = (y - tile.iy) * ww + dx;
    map.set(win.subarray(from, from + w), y * width + tile.cx0);
  }
}
