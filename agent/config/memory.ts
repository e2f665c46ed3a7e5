/**
 * The memory budget (decode.memory_budget_mb) turned into the limits that keep one image's
 * analysis inside it: the detector's window must fit, and what is left bounds the frame's
 * pixels, checked from the file header before anything is allocated. The constants are
 * measured peaks of `temguard predict` (README, "Speed and memory"), rounded up.
 */
import { ConfigError } from './load.js';
import type { Config } from './schema.js';

const MiB = 2 ** 20;
/** node, onnxruntime, sharp and the models at rest. */
export const RUNTIME_MB = 256;
/** onnxruntime's working memory per window pixel, bundled U-Net (16 channels, 4 levels) on the CPU provider. */
export const WINDOW_BYTES_PER_PX = 600;
/** Per frame pixel: the float frame, the probability map, pyramid planes and maps, decoder buffers, the file's bytes. */
export const FRAME_BYTES_PER_PX = 16;

export interface MemoryPlan { maxPixels: number; windowMb: number }

/** Throws a ConfigError naming the setting when the window alone does not fit the budget. */
export function memoryPlan(cfg: Config): MemoryPlan {
  const budget = cfg.decode.memory_budget_mb;
  const side = cfg.detector.tile > 0 ? cfg.detector.tile + 2 * cfg.detector.tile_margin : 0;
  const windowMb = Math.ceil((side * side * WINDOW_BYTES_PER_PX) / MiB);
  const left = budget - RUNTIME_MB - windowMb;
  const minFrame = Math.ceil((side * side * FRAME_BYTES_PER_PX) / MiB);
  if (left < minFrame) {
    const what = side ? `detector.tile ${cfg.detector.tile} (+ tile_margin ${cfg.detector.tile_margin} each side) needs about ${windowMb} MiB of inference memory` : 'the runtime alone';
    throw new ConfigError([{ path: 'decode.memory_budget_mb', message: `${budget} MiB is too small: ${what} plus ${RUNTIME_MB} MiB of runtime; raise the budget or lower detector.tile` }], 'config');
  }
  const derived = Math.floor((left * MiB) / FRAME_BYTES_PER_PX);
  return { maxPixels: cfg.decode.max_pixels > 0 ? cfg.decode.max_pixels : derived, windowMb };
}
