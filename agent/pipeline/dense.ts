/**
 * The detect path for fully convolutional models (adapters with a DenseSpec): the frame is
 * normalised once, halved into a pyramid for large objects (scales.ts), each level is run in
 * fixed-size windows (tiles.ts) stitched into a probability map, instances are components of
 * each level's map, and the levels are merged into one instance per object.
 * Memory is the frame, one float map per level and one window's tensors, whatever the frame
 * size; a stop request is honoured between windows.
 */
import { componentsToDetections } from '../adapters/components.js';
import { cleanFrame } from '../adapters/clean.js';
import type { Smoothing } from '../adapters/denoise.js';
import { splitTouching } from '../adapters/split.js';
import type { DenseSpec } from '../adapters/adapter.js';
import type { Detection, Frame } from '../types.js';
import { halve, largeForLevel, mergeLevels, pyramidLevels, upscale, type LevelDetections } from './scales.js';
import { copyCore, fillWindow, planTiles } from './tiles.js';
import { subthresholdSummary, type Subthreshold } from './subthreshold.js';

/** Runs the network on one window (width x height, values 0..1), writing its probability map into `output`. */
export type RunWindow = (input: Float32Array, output: Float32Array, width: number, height: number) => Promise<void>;

/**
 * Float buffers kept from one frame to the next, by role (window, each level's plane and
 * map): a camera writes frames of one size, so after the first they cost no allocation, no
 * zero-fill and no garbage collection of external memory (the frame's maps are 85 MB at
 * 4096²). Only one detection runs at a time per detector, so one pool per detector.
 */
export class BufferPool {
  private readonly slots = new Map<string, Float32Array>();

  /** A buffer of exactly n floats for `role`, with arbitrary contents (callers overwrite it all). */
  take(role: string, n: number): Float32Array {
    let b = this.slots.get(role);
    if (!b || b.length < n) { b = new Float32Array(n); this.slots.set(role, b); }
    return b.subarray(0, n);
  }
}

export interface DenseOptions {
  /** Window core size (px); the window adds `margin` on each side. */
  tile: number;
  margin: number;
  /** Largest object (px across, full scale) the pyramid must see whole. */
  maxObjectPx: number;
  signal?: AbortSignal;
  pool?: BufferPool;
  /** Also summarise the full-scale map below the threshold (subthreshold.ts): one more components pass. */
  subthreshold?: boolean;
}

export interface DenseResult {
  detections: Detection[];
  preprocessMs: number;
  inferenceMs: number;
  postprocessMs: number;
  levels: number;
  windows: number;
  /** Evidence below the threshold on the full-scale map (subthreshold.ts), same pass. */
  subthreshold?: Subthreshold;
  /** The frame's noise and the smoothing it got (denoise.ts), when the model asks for it. */
  smoothing?: Smoothing;
  /** Spikes removed (despike.ts), when the model asks for it. */
  spikes?: number;
}

interface Plane { data: Float32Array; width: number; height: number }

/** Thrown when a stop was requested (name AbortError, as fetch and streams use). */
export class StopRequested extends Error {
  override name = 'AbortError';
  constructor() { super('detection stopped: the agent is shutting down'); }
}

export function throwIfStopped(signal?: AbortSignal): void {
  if (signal?.aborted) throw new StopRequested();
}

export async function detectDense(frame: Frame, spec: DenseSpec, run: RunWindow, opts: DenseOptions): Promise<DenseResult> {
  const r: DenseResult = { detections: [], preprocessMs: 0, inferenceMs: 0, postprocessMs: 0, levels: 0, windows: 0 };
  let t = performance.now();
  const { offset, gain } = spec.normaliser(frame);
  r.levels = pyramidLevels(frame.width, frame.height, spec.objectPx[1], opts.maxObjectPx);
  const pool = opts.pool ?? new BufferPool();
  const seen = cleanFrame(frame, spec, { offset, gain }, (step) => pool.take(step, frame.width * frame.height));
  if (seen.spikes !== undefined) r.spikes = seen.spikes;
  if (seen.smoothing) r.smoothing = seen.smoothing;
  r.preprocessMs += performance.now() - t;
  const levels: LevelDetections[] = [];
  let plane: Plane = { data: seen.data, width: frame.width, height: frame.height };
  for (let k = 0; k < r.levels; k++) {
    if (k > 0) {
      t = performance.now();
      const w = Math.ceil(plane.width / 2), h = Math.ceil(plane.height / 2);
      plane = { data: halve(plane.data, plane.width, plane.height, pool.take(`plane${k}`, w * h)), width: w, height: h };
      r.preprocessMs += performance.now() - t;
    }
    const prob = await levelMap(plane, spec, run, { ...opts, pool }, offset, gain, r, pool.take(`map${k}`, plane.width * plane.height));
    t = performance.now();
    const f = 2 ** k;
    const joined = componentsToDetections(prob, plane.width, plane.height, plane.width, { threshold: spec.threshold, minArea: spec.minArea })
      .filter((d) => largeForLevel(d, f, spec.objectPx[1]));
    const found = splitTouching(joined, prob, plane.width, { depth: spec.splitDepth, minArea: spec.minArea });
    if (k === 0 && opts.subthreshold) r.subthreshold = subthresholdSummary(prob, plane.width, plane.height, plane.width, found, { minArea: spec.minArea });
    levels.push({ factor: f, detections: found.map((d) => upscale(d, f, frame.width, frame.height)) });
    r.postprocessMs += performance.now() - t;
  }
  t = performance.now();
  r.detections = levels.length === 1 ? levels[0]!.detections : mergeLevels(levels, spec.objectPx[1]);
  r.postprocessMs += performance.now() - t;
  return r;
}

/** One level's probability map (into `prob`), window by window; times go into `r`. */
async function levelMap(plane: Plane, spec: DenseSpec, run: RunWindow, opts: DenseOptions & { pool: BufferPool }, offset: number, gain: number, r: DenseResult, prob: Float32Array): Promise<Float32Array> {
  const plan = planTiles(plane.width, plane.height, opts.tile, opts.margin, spec.stride);
  // Every window of a plan has one shape; the cores cover the map, so nothing needs zeroing.
  const input = opts.pool.take('window-in', plan.width * plan.height);
  const output = opts.pool.take('window-out', plan.width * plan.height);
  for (const tile of plan.tiles) {
    throwIfStopped(opts.signal);
    let t = performance.now();
    fillWindow(plane.data, plane.width, plane.height, tile, input, plan.width, plan.height, offset, gain);
    r.preprocessMs += performance.now() - t;
    t = performance.now();
    await run(input, output, plan.width, plan.height);
    r.inferenceMs += performance.now() - t;
    t = performance.now();
    copyCore(output, plan.width, tile, prob, plane.width);
    r.postprocessMs += performance.now() - t;
    r.windows++;
  }
  return prob;
}
