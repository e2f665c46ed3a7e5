/**
 * The contract every detector export format implements. detect.ts owns the ONNX session
 * and execution providers; an adapter only knows how to turn a Frame into the model's
 * input tensors and the model's outputs back into Detections in original image pixels.
 */
import type { Tensor } from 'onnxruntime-node';
import type { Detection, Frame } from '../types.js';
import type { DenoiseSpec, Smoothing } from './denoise.js';
import type { DespikeSpec } from './despike.js';
import type { DequantiseSpec } from './dequantise.js';

/** What detect.ts knows about a loaded model, handed to adapters for selection and setup. */
export interface ModelInfo {
  inputNames: readonly string[];
  outputNames: readonly string[];
  /** ONNX ModelProto.metadata_props (field 14), read from the file. */
  metadata: Record<string, string>;
  /** Declared shapes (numbers, or names for dynamic axes) by input/output name, from the session. */
  inputShapes?: Record<string, readonly (number | string)[]>;
  outputShapes?: Record<string, readonly (number | string)[]>;
}

export interface Prepared {
  feeds: Record<string, Tensor>;
  /** Whatever postprocess needs to map outputs back (scale, padding, original size). */
  ctx: unknown;
  /** Adapters that smooth noisy frames (denoise.ts) say what they did, for the result. */
  smoothing?: Smoothing;
  /** Adapters that remove spikes (despike.ts) say how many, for the result. */
  spikes?: number;
}

export interface DetectorAdapter {
  /** e.g. "unet", "maskrcnn-torchvision", "detectron2", "yolo". */
  readonly name: string;
  /** The fixed square input size the model expects, when it has one (e.g. YOLO 640). */
  readonly inputSize?: number;
  /** Present for fully convolutional models: then the detect stage may tile and rescale the frame. */
  readonly dense?: DenseSpec;
  /** The whole frame in one input (fixed-input models letterbox it to their size). */
  preprocess(frame: Frame): Prepared;
  postprocess(outputs: Record<string, Tensor>, prepared: Prepared, frame: Frame): Detection[];
}

/**
 * What the tiled, multi-scale detect path (pipeline/dense.ts) needs to know of a fully
 * convolutional segmenter: a single-channel input of any size that is a multiple of `stride`,
 * a same-size probability map out, and instances as components of the map.
 */
export interface DenseSpec {
  input: string;
  output: string;
  stride: number;
  threshold: number;
  minArea: number;
  /** Touching objects joined in one component are cut apart at this relative neck depth (split.ts); 0 = never. */
  splitDepth: number;
  /** Frames noisier than the model's training are smoothed first (denoise.ts); null = never. */
  denoise: DenoiseSpec | null;
  /** Posterised frames (a handful of gray levels) are smoothed first (dequantise.ts); null = never. */
  dequantise: DequantiseSpec | null;
  /** X-ray hits and hot or dead pixels are replaced by the background around them first (despike.ts); null = never. */
  despike: DespikeSpec | null;
  /** Equivalent diameters (px) of the objects the model finds at its own scale; the pyramid covers larger ones. */
  objectPx: [number, number];
  /** The frame's intensity map to the model's input range, computed once per frame: clamp((v - offset) * gain, 0, 1). */
  normaliser(frame: Frame): { offset: number; gain: number };
}

/** Settings from DetectorOptions that some adapters use inside post-processing (e.g. before NMS). */
export interface AdapterOptions {
  /** Candidates below this score may be dropped early. */
  confidence?: number;
}

/** How detect.ts finds an adapter: `matches` says whether a model looks like this format. */
export interface AdapterFactory {
  readonly name: string;
  /** True when inputs/outputs/metadata look like this export format. */
  matches(info: ModelInfo): boolean;
  /** Builds the adapter; throws ModelError when the model is close but not usable (message says why). */
  create(info: ModelInfo, opts?: AdapterOptions): DetectorAdapter;
}
