/**
 * Predicted F1 on images without labels: the paper's out-of-domain test (natural images
 * must get a low predicted F1) and a look at real TEM images. Runs the agent's own decode,
 * detector, features and forest on every supported file of a directory.
 */
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { computeFeatures } from '../pipeline/features.js';
import { SUPPORTED_EXTENSIONS } from '../pipeline/decode.js';
import type { Forest } from '../pipeline/forest.js';
import type { DatasetDeps } from './dataset.js';
import type { OodCheck } from './report.js';

export async function predictDirectory(dir: string, deps: DatasetDeps, forest: Forest, limit = 200): Promise<OodCheck> {
  const files = (await readdir(dir)).filter((f) => SUPPORTED_EXTENSIONS.includes(extname(f).toLowerCase())).sort().slice(0, limit);
  const predicted: OodCheck['predicted_f1'] = [];
  for (const f of files) {
    const frame = await deps.decode(join(dir, f));
    const detections = await deps.detect(frame);
    const p = forest.predict(computeFeatures(detections, frame.width, frame.height), frame);
    predicted.push({ image: f, f1: p.f1, detections: detections.length, ...(p.in_domain ? { in_domain: p.in_domain.in_domain } : {}) });
  }
  return { images: predicted.length, source: dir, predicted_f1: predicted, below_0_7: predicted.filter((p) => p.f1 < 0.7).length, below_0_5: predicted.filter((p) => p.f1 < 0.5).length };
}
