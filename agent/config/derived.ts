/**
 * Options for the stages, derived from the config in one place, so the daemon, `predict`
 * and the live view hand the stages the same settings.
 */
import type { DecodeOptions } from '../pipeline/decode.js';
import { DEFAULT_MODEL_PATH, type DetectorOptions, type ExecutionProvider } from '../pipeline/detect.js';
import { memoryPlan } from './memory.js';
import type { Config } from './schema.js';

export function decodeOptions(cfg: Config): DecodeOptions {
  return { maxPixels: memoryPlan(cfg).maxPixels, pixelSizeOverrides: cfg.decode.pixel_size.map((p) => ({ pattern: p.pattern, x: p.x, y: p.y || p.x, unit: p.unit })) };
}

export function detectorOptions(cfg: Config): DetectorOptions {
  return {
    modelPath: cfg.detector.model ?? DEFAULT_MODEL_PATH,
    providers: cfg.detector.providers as ExecutionProvider[],
    deviceId: cfg.detector.device_id,
    adapter: cfg.detector.adapter,
    confidence: cfg.detector.confidence,
    threads: cfg.detector.threads || undefined,
    ...(cfg.detector.tile > 0 ? { dense: { tile: cfg.detector.tile, margin: cfg.detector.tile_margin, maxObjectPx: cfg.detector.max_object_px, maxObjectNm: cfg.detector.max_object_nm } } : {}),
  };
}
