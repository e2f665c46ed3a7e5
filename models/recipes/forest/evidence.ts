/**
 * Label-free evidence columns for the candidates of issue 15 part 2, one CSV row per image
 * keyed like the forest table (PREFIX + file): the sub-threshold summary of the detector's
 * full-scale probability map (agent/pipeline/subthreshold.ts, same pass as detection) and,
 * with --flip, the agreement F1 between the detections of the image and of its mirrored copy
 * (one more inference; its time is recorded per image).
 * Usage: npx tsx models/recipes/forest/evidence.ts --images DIR --prefix P/ --out PART.csv [--model ONNX] [--flip] [--limit N]
 */
import { readdir, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeFile } from '../../../agent/pipeline/decode.js';
import { createDetector, DEFAULT_MODEL_PATH } from '../../../agent/pipeline/detect.js';
import { detectorOptions } from '../../../agent/config/derived.js';
import { loadConfig } from '../../../agent/config/load.js';
import { silentLogger } from '../../../agent/log.js';
import { matchImage } from '../../../agent/learn/match.js';
import { quoteCsv } from '../../../agent/learn/table.js';
import { SUPPORTED_EXTENSIONS } from '../../../agent/pipeline/decode.js';
import { SUBTHRESHOLD_NAMES, ZERO_SUBTHRESHOLD } from '../../../agent/pipeline/subthreshold.js';
import type { Box, Frame } from '../../../agent/types.js';

const { values: a } = parseArgs({ options: { images: { type: 'string' }, prefix: { type: 'string' }, out: { type: 'string' }, model: { type: 'string' }, flip: { type: 'boolean' }, limit: { type: 'string' } } });
if (!a.images || !a.out) { console.error('usage: evidence.ts --images DIR --prefix P/ --out PART.csv [--model ONNX] [--flip]'); process.exit(2); }
// The daemon's detect settings (as `temguard dataset` uses them), with the summary switched on.
const { dense } = detectorOptions(loadConfig({ env: process.env }));
if (!dense) { console.error('evidence.ts: the sub-threshold summary needs the dense detect path (detector.tile > 0)'); process.exit(1); }
const detector = await createDetector({ modelPath: a.model ?? DEFAULT_MODEL_PATH, dense: { ...dense, subthreshold: true }, confidence: 0.1 }, silentLogger);
const close = (): Promise<void> => detector.close();
const files = (await readdir(a.images)).filter((f) => SUPPORTED_EXTENSIONS.includes(extname(f).toLowerCase())).sort().slice(0, a.limit ? Number(a.limit) : undefined);
const lines = [['image', ...SUBTHRESHOLD_NAMES, 'tta_flip_f1', 'detect_ms', 'flip_ms'].join(',')];
try {
  for (const f of files) {
    const frame = await decodeFile(join(a.images, f));
    let t = performance.now();
    const r = await detector.detect(frame);
    const detectMs = performance.now() - t;
    const sub = r.subthreshold ?? ZERO_SUBTHRESHOLD;
    let agree = NaN, flipMs = NaN;
    if (a.flip) {
      t = performance.now();
      const m = await detector.detect(mirror(frame));
      flipMs = performance.now() - t;
      const back = m.detections.map((d): Box => [frame.width - d.box[2], d.box[1], frame.width - d.box[0], d.box[3]]);
      agree = matchImage(r.detections.map((d) => d.box), back, 0.3).f1;
    }
    lines.push([quoteCsv((a.prefix ?? '') + f), ...SUBTHRESHOLD_NAMES.map((n) => sub[n]), agree, detectMs.toFixed(1), flipMs.toFixed(1)].join(','));
  }
} finally { await close(); }
await writeFile(a.out, lines.join('\n') + '\n');

/** Left-right mirror of a frame (statistics unchanged). */
function mirror(frame: Frame): Frame {
  const out = new Float32Array(frame.data.length);
  for (let y = 0; y < frame.height; y++) {
    const row = y * frame.width;
    for (let x = 0; x < frame.width; x++) out[row + x] = frame.data[row + frame.width - 1 - x]!;
  }
  return { ...frame, data: out };
}
