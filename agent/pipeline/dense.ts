/**
 * The detect path for fully convolutional models (adapters with a DenseSpec): the frame is
 * normalised once, halved into a pyramid for large objects (scales.ts), each level is run in
 * fixed-size windows (tiles.ts) stitched into a probability map, instances are components of
 * each level's map, and the levels are merged into one instance per object.
 * Memory is the frame, one float map per level and one window's tensors, whatever the frame
 * size; a stop request is honoured between windows.
 */
import { componentsToDetections } from '../adapters/components.js';
import type { DenseSpec } from '../adapters/adapter.js';
import type { Detection, Frame } from '../types.js';
import { halve, mergeLevels, pyramidLevels, upscale, type LevelDetections } from './scales.js';
import { copyCore, fillWindow, planTiles } from './tiles.js';

/** Runs the network on one window (width x height, values 0..1); resolves to its probability map. */
export type RunWindow = (input: Float32Array, width: number, height: number) => Promise<Float32Array>;

export interface DenseOptions {
  /** Window core size (px); the window adds `margin` on each side. */
  tile: number;
  margin: number;
  /** Largest object (px across, full scale) the pyramid must see whole. */
  maxObjectPx: number;
  signal?: AbortSignal;
}

export interface DenseResult {
  detections: Detection[];
  preprocessMs: number;
  inferenceMs: number;
  postprocessMs: number;
  levels: number;
  windows: number;
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
  r.preprocessMs += performance.now() - t;
  const levels: LevelDetections[] = [];
  let plane: Plane = frame;
  for (let k = 0; k < r.levels; k++) {
    if (k > 0) {
      t = performance.now();
      plane = halve(plane.data, plane.width, plane.height);
      r.preprocessMs += performance.now() - t;
    }
    const prob = await levelMap(plane, spec, run, opts, offset, gain, r);
    t = performance.now();
    const f = 2 ** k;
    const found = componentsToDetections(prob, plane.width, plane.height, plane.width, { threshold: spec.threshold, minArea: spec.minArea });
    levels.push({ factor: f, detections: found.map((d) => upscale(d, f, frame.width, frame.height)) });
    r.postprocessMs += performance.now() - t;
  }
  t = performance.now();
  r.detections = levels.length === 1 ? levels[0]!.detections : mergeLevels(levels, spec.objectPx[1]);
  r.postprocessMs += performance.now() - t;
  return r;
}

/** One level's probability map, window by window; times go into `r`. */
async function levelMap(plane: Plane, spec: DenseSpec, run: RunWindow, opts: DenseOptions, offset: number, gain: number, r: DenseResult): Promise<Float32Array> {
  const plan = planTiles(plane.width, plane.height, opts.tile, opts.margin, spec.stride);
  const prob = new Float32Array(plane.width * plane.height);
  const input = new Float32Array(plan.width * plan.height); // reused: every window has this shape
  for (const tile of plan.tiles) {
    throwIfStopped(opts.signal);
    let t = performance.now();
    fillWindow(plane.data, plane.width, plane.height, tile, input, plan.width, plan.height, offset, gain);
    r.preprocessMs += performance.now() - t;
    t = performance.now();
    const out = await run(input, plan.width, plan.height);
    r.inferenceMs += performance.now() - t;
    t = performance.now();
    copyCore(out, plan.width, tile, prob, plane.width);
    r.postprocessMs += performance.now() - t;
    r.windows++;
  }
  return prob;
}
