/**
 * The real decode + detect pair that `score` and `dataset` inject into dataset.ts: the
 * agent's own decoder and detector, so the table holds exactly what the daemon will see.
 */
import { detectorOptions } from '../config/derived.js';
import { loadConfig } from '../config/load.js';
import { PAPER_CONFIDENCE } from '../config/schema.js';
import { silentLogger } from '../log.js';
import { decodeFile } from '../pipeline/decode.js';
import { createDetector, DEFAULT_MODEL_PATH, type Detector, type ExecutionProvider } from '../pipeline/detect.js';
import type { DatasetDeps } from './dataset.js';

export interface DetectorFlags {
  model?: string;
  confidence?: number;
  providers?: ExecutionProvider[];
}

/** The daemon's detect settings (tiles, pyramid: defaults and TEMGUARD_DETECTOR_* env), with the flags on top. */
export async function openDetectorDeps(flags: DetectorFlags): Promise<{ deps: DatasetDeps; detector: Detector; close(): Promise<void> }> {
  const { dense } = detectorOptions(loadConfig({ env: process.env }));
  const detector = await createDetector({
    modelPath: flags.model ?? DEFAULT_MODEL_PATH,
    ...(dense ? { dense } : {}),
    confidence: flags.confidence ?? PAPER_CONFIDENCE,
    ...(flags.providers ? { providers: flags.providers } : {}),
  }, silentLogger);
  return {
    detector,
    deps: { decode: (p) => decodeFile(p), detect: async (f) => (await detector.detect(f)).detections },
    close: () => detector.close(),
  };
}

export function parseProviders(v: string | undefined): ExecutionProvider[] | undefined {
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of list) if (!['tensorrt', 'cuda', 'cpu'].includes(p)) throw new Error(`unknown execution provider "${p}" (tensorrt, cuda, cpu)`);
  return list as ExecutionProvider[];
}
