/**
 * What happens to one image, in order: read + hash, decode, detect, features, forest. The
 * daemon and `temguard predict` both call this, so the MQTT result and the one-shot output
 * are the same payload. A failure at any stage becomes a StageError naming the stage, so
 * the caller can publish an error result and carry on.
 */
import { createHash, webcrypto } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { decodeBytes, decodeFile, DecodeError, type DecodeOptions } from './decode.js';
import type { Detector } from './detect.js';
import { areaOf, computeFeatures, circularityOf } from './features.js';
import type { Forest } from './forest.js';
import { measureImage, type PhysicsDeps, type PhysicsResult } from '../physics/measure.js';
import type { Detection, Features, Frame, Prediction } from '../types.js';

/** Files up to this size are read once into memory (hash + decode from the same bytes). */
const IN_MEMORY_MAX = 512 * 2 ** 20;

/** Detections listed in a result by default (all are counted and used for features). */
export const DEFAULT_MAX_ITEMS = 500;

export type Stage = 'read' | 'decode' | 'detect' | 'features' | 'forest';

export class StageError extends Error {
  override name = 'StageError';
  constructor(readonly stage: Stage, readonly code: string, message: string, readonly retryable = false) {
    super(message);
  }
}

export interface AnalyseDeps {
  detector: Detector;
  forest: Forest;
  decode: DecodeOptions;
  /** Detections listed in the result at most (all are counted and used for features). */
  maxItems: number;
  /** Defocus and the microscopist's numbers per image; absent: the result has no `physics`. */
  physics?: PhysicsDeps;
}

export interface DetectionItem {
  box: [number, number, number, number];
  score: number;
  area_px: number;
  circularity: number;
  /** Equivalent-circle diameter in nm when the pixel size is known. */
  diameter_nm?: number;
}

/** The body of a result message (the envelope adds schema, msg_id, seq, ts). */
export interface ImageResult {
  image: { path: string; rel: string; sha256: string; bytes: number; width: number; height: number; dtype: string; format: string; pixel_size: Frame['pixelSize'] };
  detector: { model: string; sha256: string; adapter: string; ep: string; inference_ms: number; levels?: number; windows?: number; smoothing?: { noise: number; sigma_px: number; gray_levels?: number }; spikes?: number };
  detections: { count: number; items: DetectionItem[]; truncated: boolean };
  features: Features;
  prediction: Prediction;
  forest: { model: string; sha256: string };
  /** Measured from the image and its detections: defocus, density, sizes, swelling (null with reasons). */
  physics?: PhysicsResult;
  /** detect = detect_pre + inference + detect_post: everything but inference is the agent's own cost. */
  timing_ms: { read: number; decode: number; detect: number; detect_pre: number; inference: number; detect_post: number; features: number; forest: number; physics?: number; total: number; queue_wait?: number };
}

/** `signal` stops a tiled detection between windows: a stop need not wait for a whole camera frame. */
export async function analyseImage(path: string, rel: string, deps: AnalyseDeps, signal?: AbortSignal): Promise<ImageResult> {
  const t0 = performance.now();
  const { size } = await stage('read', () => stat(path));
  let sha256: string;
  let frame: Frame;
  let t1: number;
  if (size <= IN_MEMORY_MAX) {
    // One read; the hash runs on libuv's thread pool while sharp decodes on another thread.
    const bytes = await stage('read', () => readFile(path));
    t1 = performance.now();
    [sha256, frame] = await Promise.all([sha256Of(bytes), stage('decode', () => decodeBytes(bytes, path, deps.decode))]);
  } else {
    // A multi-gigabyte stack: stream the hash, let the readers take just the image they need.
    t1 = performance.now();
    [sha256, frame] = await Promise.all([stage('read', () => sha256OfFile(path)), stage('decode', () => decodeFile(path, deps.decode))]);
  }
  const t2 = performance.now();
  const det = await stage('detect', () => deps.detector.detect(frame, signal));
  const t3 = performance.now();
  const features = await stage('features', async () => computeFeatures(det.detections, frame.width, frame.height));
  const t4 = performance.now();
  const prediction = await stage('forest', async () => deps.forest.predict(features, frame));
  const t5 = performance.now();
  const physics = deps.physics ? measureImage(path, frame, det.detections, deps.physics) : undefined;
  const t6 = performance.now();
  return {
    image: { path, rel, sha256, bytes: size, width: frame.width, height: frame.height, dtype: frame.dtype, format: frame.format, pixel_size: frame.pixelSize },
    detector: {
      model: deps.detector.model.name, sha256: deps.detector.model.sha256, adapter: deps.detector.model.adapter, ep: deps.detector.ep.active, inference_ms: ms(det.inferenceMs),
      ...(det.levels ? { levels: det.levels, windows: det.windows } : {}),
      ...(det.smoothing ? { smoothing: { noise: round3(det.smoothing.noise), sigma_px: round3(det.smoothing.sigma), ...(det.smoothing.grayLevels !== undefined ? { gray_levels: det.smoothing.grayLevels } : {}) } } : {}),
      ...(det.spikes !== undefined ? { spikes: det.spikes } : {}),
    },
    detections: { count: det.detections.length, items: det.detections.slice(0, deps.maxItems).map((d) => item(d, frame)), truncated: det.detections.length > deps.maxItems },
    features,
    prediction,
    forest: { model: deps.forest.manifest.name, sha256: deps.forest.sha256 },
    ...(physics ? { physics } : {}),
    timing_ms: {
      read: ms(t1 - t0), decode: ms(t2 - t1), detect: ms(t3 - t2), detect_pre: ms(det.preprocessMs), inference: ms(det.inferenceMs), detect_post: ms(Math.max(0, t3 - t2 - det.preprocessMs - det.inferenceMs)),
      features: ms(t4 - t3), forest: ms(t5 - t4), ...(physics ? { physics: ms(t6 - t5) } : {}), total: ms(t6 - t0) },
  };
}

function item(d: Detection, frame: Frame): DetectionItem {
  const [x1, y1, x2, y2] = d.box;
  const area = areaOf(d);
  const out: DetectionItem = {
    box: [r1(x1), r1(y1), r1(x2), r1(y2)], score: Math.round(d.score * 1e4) / 1e4, area_px: area, circularity: Math.round(circularityOf(d) * 1e3) / 1e3,
  };
  const px = frame.pixelSize;
  if (px && px.unit === 'nm') out.diameter_nm = r1(2 * Math.sqrt((area * px.x * px.y) / Math.PI));
  return out;
}

/** Runs one stage, turning its failure into a StageError that names it. */
async function stage<T>(name: Stage, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof StageError) throw err;
    if (err instanceof Error && err.name === 'AbortError') throw err; // a stop, not a property of the image
    if (err instanceof DecodeError) throw new StageError('decode', err.code, err.message, err.code === 'truncated' || err.code === 'empty');
    const e = err as NodeJS.ErrnoException;
    if (name === 'read') throw new StageError('read', e.code === 'ENOENT' ? 'not_found' : 'io', `cannot read the file: ${e.message}`, e.code !== 'ENOENT');
    throw new StageError(name, 'failed', `${name} failed: ${e?.message ?? String(err)}`);
  }
}

/** sha256 (hex) off the main thread: WebCrypto digests run on libuv's thread pool. */
async function sha256Of(bytes: Buffer): Promise<string> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex');
}

function sha256OfFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (c) => h.update(c)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

function ms(x: number): number { return Math.round(x * 100) / 100; }
function r1(x: number): number { return Math.round(x * 10) / 10; }
function round3(x: number): number { return Math.round(x * 1000) / 1000; }
