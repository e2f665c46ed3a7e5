/**
 * The frame as the network should see it, before scaling: spikes replaced first (despike.ts), then
 * the frame smoothed when it is noisier than the training or posterised (denoise.ts). Spikes go
 * first so that the smoothing does not spread them into soft blobs. One home for that order: the
 * whole-frame adapter (unet.ts) and the tiled detect stage (pipeline/dense.ts) both call it.
 */
import { denoiseFrame, type DenoiseSpec, type Smoothing } from './denoise.js';
import { despikeFrame, type DespikeSpec } from './despike.js';
import type { DequantiseSpec } from './dequantise.js';

export interface CleanSpec {
  despike: DespikeSpec | null;
  denoise: DenoiseSpec | null;
  dequantise: DequantiseSpec | null;
}

export interface Cleaned {
  data: Float32Array;
  /** Spikes replaced, when the model asks for despiking. */
  spikes?: number;
  /** The frame's noise and the smoothing it got, when the model asks for either smoothing. */
  smoothing?: Smoothing;
}

/**
 * `scale` is the frame's map to the model's input range (its normalisation); `buffer` hands out
 * a frame-sized array for each step that rewrites the pixels, so callers can pool them.
 */
export function cleanFrame(
  frame: { data: Float32Array; width: number; height: number },
  spec: CleanSpec,
  scale: { offset: number; gain: number },
  buffer: (step: 'despiked' | 'denoised') => Float32Array,
): Cleaned {
  const clean = despikeFrame(frame, spec.despike, scale.gain > 0 ? 1 / scale.gain : 0, () => buffer('despiked'));
  const seen = denoiseFrame({ ...frame, data: clean.data }, scale, spec.denoise, () => buffer('denoised'), spec.dequantise);
  return {
    data: seen.data,
    ...(clean.spikes !== undefined ? { spikes: clean.spikes } : {}),
    ...(seen.smoothing ? { smoothing: seen.smoothing } : {}),
  };
}
