/**
 * The bundled cavity segmenter (models/recipes/detector): input `image` [1,1,H,W] float32 in
 * [0,1], output `prob` [1,1,H,W] cavity probability; fully convolutional, so any input
 * edge-padded to a multiple of the stride (16) runs. `dense` lets the detect stage run it in
 * tiles and at several scales (pipeline/dense.ts); preprocess/postprocess run the whole frame
 * in one input (detector.tile 0). Normalisation is per-frame percentile scaling
 * (normalise.ts), so 8-bit, 16-bit and float frames all work.
 * Instances are 8-connected components of prob >= threshold (components.ts); touching ones are
 * cut apart by split.ts when temguard.split_depth > 0; frames noisier than the training are
 * smoothed first when temguard.denoise is set (denoise.ts), posterised ones when temguard.dequantise
 * is (dequantise.ts). Threshold, min_area, split_depth,
 * denoise, dequantise, stride and normalisation come from the model's metadata_props when present.
 */
import { Tensor } from 'onnxruntime-node';
import type { Detection, Frame } from '../types.js';
import type { AdapterFactory, DetectorAdapter, ModelInfo, Prepared } from './adapter.js';
import { componentsToDetections } from './components.js';
import { cleanFrame } from './clean.js';
import { parseDenoiseSpec, type DenoiseSpec } from './denoise.js';
import { parseDespikeSpec, type DespikeSpec } from './despike.js';
import { parseDequantiseSpec, type DequantiseSpec } from './dequantise.js';
import { splitTouching } from './split.js';
import { ModelError } from './model-error.js';
import { parsePercentileSpec, percentileRange, scaleInto } from './normalise.js';

export interface UnetParams {
  input: string;
  output: string;
  stride: number;
  threshold: number;
  minArea: number;
  splitDepth: number;
  denoise: DenoiseSpec | null;
  dequantise: DequantiseSpec | null;
  despike: DespikeSpec | null;
  percentiles: [number, number];
  objectPx: [number, number];
}

/**
 * Object sizes the bundled models find at their own scale when the model does not say
 * (metadata temguard.object_px): trained on 4-30 px simulated cavities rescaled 0.5-2.5x
 * (models/recipes/detector/build.sh), so about 3 to 64 px across.
 */
export const DEFAULT_OBJECT_PX: [number, number] = [3, 64];

interface UnetCtx {
  paddedWidth: number;
  paddedHeight: number;
}

/** Rounds up to a multiple of `stride`. */
export const padTo = (n: number, stride: number): number => Math.ceil(n / stride) * stride;

/** Copies a width x height plane into a padded one, replicating the last row/column (no false edges). */
export function edgePad(src: Float32Array, width: number, height: number, pw: number, ph: number): Float32Array {
  const out = new Float32Array(pw * ph);
  for (let y = 0; y < ph; y++) {
    const sy = Math.min(y, height - 1) * width;
    const row = y * pw;
    out.set(src.subarray(sy, sy + width), row);
    out.fill(src[sy + width - 1]!, row + width, row + pw);
  }
  return out;
}

export function createUnetAdapter(p: UnetParams): DetectorAdapter {
  const normaliser = (frame: Frame): { offset: number; gain: number } => percentileRange(frame.data, p.percentiles[0], p.percentiles[1]);
  return {
    name: 'unet',
    dense: { input: p.input, output: p.output, stride: p.stride, threshold: p.threshold, minArea: p.minArea, splitDepth: p.splitDepth, denoise: p.denoise, dequantise: p.dequantise, despike: p.despike, objectPx: p.objectPx, normaliser },
    preprocess(frame: Frame): Prepared {
      const { offset, gain } = normaliser(frame);
      const scaled = new Float32Array(frame.data.length);
      // The smoothed frame may be written into `scaled`: scaleInto maps it in place.
      const seen = cleanFrame(frame, p, { offset, gain }, (step) => (step === 'denoised' ? scaled : new Float32Array(frame.data.length)));
      scaleInto(seen.data, scaled, offset, gain);
      const pw = padTo(frame.width, p.stride);
      const ph = padTo(frame.height, p.stride);
      const data = edgePad(scaled, frame.width, frame.height, pw, ph);
      const ctx: UnetCtx = { paddedWidth: pw, paddedHeight: ph };
      return { feeds: { [p.input]: new Tensor('float32', data, [1, 1, ph, pw]) }, ctx, ...(seen.smoothing ? { smoothing: seen.smoothing } : {}), ...(seen.spikes !== undefined ? { spikes: seen.spikes } : {}) };
    },
    postprocess(outputs, prepared, frame): Detection[] {
      const ctx = prepared.ctx as UnetCtx;
      const out = outputs[p.output];
      if (!out || out.type !== 'float32' || out.dims.length !== 4 || out.dims[2] !== ctx.paddedHeight || out.dims[3] !== ctx.paddedWidth) {
        throw new ModelError(`unet: output "${p.output}" should be float32 [1,1,${ctx.paddedHeight},${ctx.paddedWidth}], got ${out ? `${out.type} [${out.dims.join(',')}]` : 'nothing'}`);
      }
      const prob = out.data as Float32Array;
      const found = componentsToDetections(prob, frame.width, frame.height, ctx.paddedWidth, { threshold: p.threshold, minArea: p.minArea });
      return splitTouching(found, prob, ctx.paddedWidth, { depth: p.splitDepth, minArea: p.minArea });
    },
  };
}

function numberMeta(meta: Record<string, string>, key: string, fallback: number): number {
  const raw = meta[key];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new ModelError(`unet: metadata ${key}="${raw}" is not a number`);
  return v;
}

/** Reads the adapter's parameters from the model (names, metadata), with the recipe's defaults. */
export function unetParams(info: ModelInfo): UnetParams {
  if (info.inputNames.length !== 1 || info.outputNames.length !== 1) {
    throw new ModelError(`unet: expected 1 input and 1 output, got inputs [${info.inputNames.join(', ')}] and outputs [${info.outputNames.join(', ')}]`);
  }
  let percentiles: [number, number];
  try {
    percentiles = parsePercentileSpec(info.metadata['temguard.normalisation']);
  } catch (err) {
    throw new ModelError(`unet: ${(err as Error).message}`);
  }
  return {
    input: info.inputNames[0]!,
    output: info.outputNames[0]!,
    stride: numberMeta(info.metadata, 'temguard.stride', 16),
    threshold: numberMeta(info.metadata, 'temguard.threshold', 0.5),
    minArea: numberMeta(info.metadata, 'temguard.min_area', 6),
    splitDepth: splitDepthMeta(info.metadata),
    denoise: parseDenoiseSpec(info.metadata['temguard.denoise']),
    dequantise: parseDequantiseSpec(info.metadata['temguard.dequantise']),
    despike: parseDespikeSpec(info.metadata['temguard.despike']),
    percentiles,
    objectPx: objectPxMeta(info.metadata),
  };
}

/** temguard.split_depth: a share of a peak's height (split.ts), 0 (never split, the default) up to but not including 1. */
function splitDepthMeta(meta: Record<string, string>): number {
  const v = numberMeta(meta, 'temguard.split_depth', 0);
  if (v < 0 || v >= 1) throw new ModelError(`unet: metadata temguard.split_depth="${meta['temguard.split_depth']}" should be in [0, 1)`);
  return v;
}

/** temguard.object_px "LO,HI" (equivalent diameters in px), else DEFAULT_OBJECT_PX. */
function objectPxMeta(meta: Record<string, string>): [number, number] {
  const raw = meta['temguard.object_px'];
  if (raw === undefined) return DEFAULT_OBJECT_PX;
  const [lo, hi] = raw.split(',').map(Number);
  if (!(lo! > 0 && hi! > lo!)) throw new ModelError(`unet: metadata temguard.object_px="${raw}" should be "LO,HI" with 0 < LO < HI`);
  return [lo!, hi!];
}

/** One grayscale input and a same-rank single-channel output, or the temguard metadata tag. */
function looksLikeUnet(info: ModelInfo): boolean {
  if (info.metadata['temguard.adapter'] !== undefined) return info.metadata['temguard.adapter'] === 'unet';
  if (info.inputNames.length !== 1 || info.outputNames.length !== 1) return false;
  const ins = info.inputShapes?.[info.inputNames[0]!];
  const outs = info.outputShapes?.[info.outputNames[0]!];
  return ins?.length === 4 && ins[1] === 1 && outs?.length === 4 && outs[1] === 1;
}

export const unetFactory: AdapterFactory = {
  name: 'unet',
  matches: looksLikeUnet,
  create: (info) => createUnetAdapter(unetParams(info)),
};
