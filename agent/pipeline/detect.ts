/**
 * The detect stage: one onnxruntime session per model, execution providers tried in order
 * (tensorrt -> cuda -> cpu by default) because onnxruntime-node rejects a missing provider
 * instead of falling back, a report of what was asked for, what runs and why the rest failed,
 * a warm-up run at start so the first real image is not slowed by lazy initialisation, and
 * an adapter (agent/adapters) that owns the export format's pre- and post-processing.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { env as ortEnv, InferenceSession, Tensor } from 'onnxruntime-node';
import type { DenseSpec, DetectorAdapter, ModelInfo } from '../adapters/adapter.js';
import type { Smoothing } from '../adapters/denoise.js';
import { ModelError } from '../adapters/model-error.js';
import { readOnnxInfo } from '../adapters/onnx-file.js';
import { rejectUnrunnable, selectAdapter } from '../adapters/registry.js';
import { PAPER_CONFIDENCE } from '../config/schema.js';
import type { Logger } from '../log.js';
import { MODELS_DIR } from '../paths.js';
import type { Detection, Frame } from '../types.js';
import { BufferPool, detectDense, throwIfStopped, type RunWindow } from './dense.js';
import type { Subthreshold } from './subthreshold.js';

export { ModelError };

export type ExecutionProvider = 'tensorrt' | 'cuda' | 'cpu';
export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ['tensorrt', 'cuda', 'cpu'];

export interface DetectorOptions {
  modelPath: string;
  /** Tried in this order; default ['tensorrt','cuda','cpu']. */
  providers?: ExecutionProvider[];
  deviceId?: number;
  /** 'auto' (default) or an adapter name (unet, ...). */
  adapter?: string;
  /** Keep detections with score >= this; default PAPER_CONFIDENCE (the paper's). */
  confidence?: number;
  /** Intra-op threads; default: onnxruntime's. */
  threads?: number;
  /** Run one inference at start; default true. */
  warmup?: boolean;
  /** Fully convolutional models: tiles and pyramid (pipeline/dense.ts); absent: the whole frame in one input, one scale. */
  dense?: DenseTiling;
}

/** How the dense path cuts and rescales frames (config detector.tile, .tile_margin, .max_object_px, .max_object_nm). */
export interface DenseTiling {
  tile: number;
  margin: number;
  /** Largest object to find whole, in px across, when the frame's pixel size is unknown. */
  maxObjectPx: number;
  /** The same in nm, used when the pixel size is known in nm (0: always maxObjectPx). */
  maxObjectNm: number;
  /** Also hand the sub-threshold summary (pipeline/subthreshold.ts); off: measured no gain for the forest (docs/forest/beyond.md), so the recipes ask for it. */
  subthreshold?: boolean;
}

export interface EpReport {
  requested: ExecutionProvider[];
  active: ExecutionProvider;
  fallbacks: { ep: ExecutionProvider; reason: string }[];
  /** What executes the graph, for status: e.g. "tensorrt engine built at session start (not cached)". */
  engine?: string;
}

export interface DetectResult {
  detections: Detection[];
  /** Time in session.run (summed over windows and levels). */
  inferenceMs: number;
  preprocessMs: number;
  postprocessMs: number;
  /** Dense path only: pyramid levels and windows run. */
  levels?: number;
  windows?: number;
  /** Dense path only: evidence below the detection threshold (pipeline/subthreshold.ts). */
  subthreshold?: Subthreshold;
  /** Models with temguard.denoise: the frame's noise and the smoothing it got (adapters/denoise.ts). */
  smoothing?: Smoothing;
  /** Models with temguard.despike: the spikes removed (adapters/despike.ts). */
  spikes?: number;
}

export interface Detector {
  readonly model: { path: string; name: string; sha256: string; adapter: string; inputSize?: number; metadata: Record<string, string> };
  readonly ep: EpReport;
  /** Milliseconds the warm-up inference took (absent when warmup is off). */
  readonly warmupMs?: number;
  /** `signal` stops a tiled detection between windows (the promise rejects with its reason). */
  detect(frame: Frame, signal?: AbortSignal): Promise<DetectResult>;
  close(): Promise<void>;
}

/** The bundled cavity model (all presets), built by models/recipes/detector. */
export const DEFAULT_MODEL_PATH = join(MODELS_DIR, 'cavity-unet-all.onnx');

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();

async function readModel(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelError(code === 'ENOENT' ? `model file not found: ${path}` : `cannot read model ${path}: ${message(err)}`);
  }
}

/** Tries each provider alone, in order; the first that creates a session wins. */
export async function openSession(bytes: Uint8Array, opts: DetectorOptions, log: Logger): Promise<{ session: InferenceSession; ep: EpReport }> {
  // Every provider that fails is reported in the EpReport and our JSON log; onnxruntime's own
  // console lines for the same failure (red text on stderr, outside journald's JSON) only
  // duplicate that, so its process-wide logger is set to fatal before the first session.
  ortEnv.logLevel = 'fatal';
  const requested = opts.providers?.length ? [...opts.providers] : [...EXECUTION_PROVIDERS];
  for (const ep of requested) {
    if (!EXECUTION_PROVIDERS.includes(ep)) throw new ModelError(`unknown execution provider "${ep}"; known: ${EXECUTION_PROVIDERS.join(', ')}`);
  }
  const fallbacks: EpReport['fallbacks'] = [];
  for (const ep of requested) {
    const provider = ep === 'cpu' ? 'cpu' : { name: ep, deviceId: opts.deviceId ?? 0 };
    try {
      const session = await InferenceSession.create(bytes, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        // onnxruntime's CPU threads spin after each run by default, taking the cores that the
        // next window's copy, the components and the next image's decode need (2 cores here:
        // the 1024² time outside session.run fell about 10 %, inference unchanged).
        extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
        logSeverityLevel: 3, // errors only (ORT warns about e.g. unused initializers)
        ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
      });
      if (fallbacks.length) log.warn('execution provider fallback', { requested, active: ep, fallbacks });
      return { session, ep: { requested, active: ep, fallbacks } };
    } catch (err) {
      fallbacks.push({ ep, reason: message(err) });
    }
  }
  const reasons = fallbacks.map((f) => `${f.ep}: ${f.reason}`).join('; ');
  throw new ModelError(`${opts.modelPath}: no execution provider could load the model (${reasons})`);
}

/** Describes the engine for status: onnxruntime-node cannot pass TensorRT's engine-cache options. */
export function engineOf(active: ExecutionProvider, epContext: boolean): string {
  if (active !== 'tensorrt') return `${active} kernels`;
  return epContext ? 'tensorrt engine embedded in the model (EPContext), not rebuilt' : 'tensorrt engine built at session start (not cached)';
}

function shapes(meta: readonly InferenceSession.ValueMetadata[]): Record<string, readonly (number | string)[]> {
  const out: Record<string, readonly (number | string)[]> = {};
  for (const m of meta) if (m.isTensor) out[m.name] = m.shape;
  return out;
}

function modelInfo(session: InferenceSession, metadata: Record<string, string>): ModelInfo {
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    metadata,
    inputShapes: shapes(session.inputMetadata),
    outputShapes: shapes(session.outputMetadata),
  };
}

/** A deterministic textured frame (gentle gradient + dither) for the warm-up run. */
export function warmupFrame(size: number): Frame {
  const data = new Float32Array(size * size);
  for (let i = 0; i < data.length; i++) data[i] = 100 + ((i * 7919) % 50) + ((i / size) | 0) % 31;
  return { width: size, height: size, data, dtype: 'uint8', min: 100, max: 180, mean: 140, pixelSize: null, format: 'warmup' };
}

export async function createDetector(opts: DetectorOptions, log: Logger): Promise<Detector> {
  const bytes = await readModel(opts.modelPath);
  const file = readOnnxInfo(bytes, opts.modelPath);
  rejectUnrunnable(file, opts.modelPath);
  const epContext = file.operators.some((o) => o.endsWith('::EPContext'));
  const { session, ep } = await openSession(bytes, opts, log).catch((err: unknown) => {
    if (epContext && err instanceof ModelError) {
      throw new ModelError(`${err.message}; this is an EPContext model (a pre-built engine for one GPU and TensorRT version): use it only on the device it was built on, and the plain .onnx elsewhere`);
    }
    throw err;
  });
  ep.engine = engineOf(ep.active, epContext);
  let adapter: DetectorAdapter;
  try {
    adapter = selectAdapter(modelInfo(session, file.metadata), opts.adapter ?? 'auto', { confidence: opts.confidence ?? PAPER_CONFIDENCE });
  } catch (err) {
    await session.release();
    throw err;
  }
  const model = {
    path: opts.modelPath,
    name: basename(opts.modelPath).replace(/\.onnx$/i, ''),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    adapter: adapter.name,
    metadata: file.metadata,
    ...(adapter.inputSize ? { inputSize: adapter.inputSize } : {}),
  };
  const detector = buildDetector(session, adapter, model, ep, opts.confidence ?? PAPER_CONFIDENCE, opts.dense);
  if (opts.warmup === false) {
    log.info('detector ready', { model: model.name, adapter: model.adapter, ep });
    return detector;
  }
  const t0 = performance.now();
  await detector.detect(warmupFrame(adapter.inputSize ?? 256));
  const warmupMs = performance.now() - t0;
  log.info('detector ready', { model: model.name, adapter: model.adapter, ep, warmupMs: Math.round(warmupMs) });
  return { ...detector, warmupMs, detect: detector.detect, close: detector.close };
}

function validateFrame(frame: Frame): void {
  if (!(frame.width > 0 && frame.height > 0) || frame.data.length !== frame.width * frame.height) {
    throw new RangeError(`frame is ${frame.width}x${frame.height} but has ${frame.data.length} pixels`);
  }
}

function buildDetector(session: InferenceSession, adapter: DetectorAdapter, model: Detector['model'], ep: EpReport, confidence: number, tiling?: DenseTiling): Detector {
  // One inference at a time: ORT already uses every intra-op thread, and queued calls keep memory bounded.
  let chain: Promise<unknown> = Promise.resolve();
  const dense = adapter.dense && tiling ? { spec: adapter.dense, tiling, run: windowRunner(session, adapter.dense), pool: new BufferPool() } : undefined;
  const run = async (frame: Frame, signal?: AbortSignal): Promise<DetectResult> => {
    validateFrame(frame);
    throwIfStopped(signal);
    const r = dense ? await detectDense(frame, dense.spec, dense.run, { ...denseOptions(frame, dense.tiling), pool: dense.pool, ...(signal ? { signal } : {}) }) : await whole(session, adapter, frame);
    const t = performance.now();
    const detections = r.detections
      .map((d) => ({ ...d, score: Math.min(1, Math.max(0, d.score)) }))
      .filter((d) => d.score >= confidence)
      .sort((a, b) => b.score - a.score);
    return { ...r, detections, postprocessMs: r.postprocessMs + performance.now() - t };
  };
  return {
    model,
    ep,
    detect(frame, signal) {
      const next = chain.then(() => run(frame, signal));
      chain = next.catch(() => undefined);
      return next;
    },
    async close() {
      await chain;
      await session.release();
    },
  };
}

/** The frame in one input: the adapter's own pre- and post-processing (fixed-input models, or tiling off). */
async function whole(session: InferenceSession, adapter: DetectorAdapter, frame: Frame): Promise<DetectResult> {
  const t0 = performance.now();
  const prepared = adapter.preprocess(frame);
  const t1 = performance.now();
  const outputs = await session.run(prepared.feeds);
  const t2 = performance.now();
  const detections = adapter.postprocess(outputs, prepared, frame);
  const t3 = performance.now();
  for (const t of Object.values(outputs)) t.dispose?.();
  return { detections, preprocessMs: t1 - t0, inferenceMs: t2 - t1, postprocessMs: t3 - t2, ...(prepared.smoothing ? { smoothing: prepared.smoothing } : {}), ...(prepared.spikes !== undefined ? { spikes: prepared.spikes } : {}) };
}

/** The largest object to find in this frame: from nm when its pixel size is known in nm. */
function denseOptions(frame: Frame, t: DenseTiling): { tile: number; margin: number; maxObjectPx: number; subthreshold?: boolean } {
  const px = frame.pixelSize;
  const maxObjectPx = t.maxObjectNm > 0 && px?.unit === 'nm' && px.x > 0 ? t.maxObjectNm / px.x : t.maxObjectPx;
  return { tile: t.tile, margin: t.margin, maxObjectPx, ...(t.subthreshold ? { subthreshold: true } : {}) };
}

/** session.run on one [1,1,H,W] window into a pre-allocated output (no output tensor allocated per window). */
function windowRunner(session: InferenceSession, spec: DenseSpec): RunWindow {
  return async (input, output, width, height) => {
    const dims = [1, 1, height, width];
    try {
      await session.run({ [spec.input]: new Tensor('float32', input, dims) }, { [spec.output]: new Tensor('float32', output, dims) });
    } catch (err) {
      // onnxruntime refuses a pre-allocated output of the wrong shape: say what the adapter expects.
      throw new ModelError(`output "${spec.output}" should be float32 [${dims.join(',')}] for an input of that size: ${(err as Error).message.split('\n')[0]}`);
    }
  };
}
