/**
 * Writes the agent's detections (box, score, mask area) for real images as JSON lines, to
 * look at or to count by kind in Python (the agent's own detect stage: tiles, pyramid).
 *
 *   npx tsx models/recipes/detector/dump_detections.ts --model FILE.onnx --out FILE.jsonl IMAGE ...
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openDetectorDeps } from '../../../agent/learn/detector-deps.js';
import { areaOf } from '../../../agent/pipeline/features.js';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { model: { type: 'string' }, out: { type: 'string' }, confidence: { type: 'string', default: '0.1' } } });
  if (!values.model || !values.out) throw new Error('--model and --out are required');
  const { deps, close } = await openDetectorDeps({ model: values.model, confidence: Number(values.confidence), providers: ['cpu'] });
  const lines: string[] = [];
  try {
    for (const path of positionals) {
      const frame = await deps.decode(path);
      const ds = await deps.detect(frame);
      const dets = ds.map((d) => ({ box: d.box, score: Number(d.score.toFixed(3)), area: areaOf(d) }));
      lines.push(JSON.stringify({ path, width: frame.width, height: frame.height, detections: dets }));
      console.log(`${path}: ${ds.length}`);
    }
  } finally { await close(); }
  writeFileSync(values.out, lines.join('\n') + '\n');
}

main().catch((err) => { console.error(`dump_detections: ${(err as Error).message}`); process.exitCode = 1; });
