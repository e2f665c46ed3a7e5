/**
 * Detect stage at 1024x1024: temguard's detector (onnxruntime-node CPU, the bundled U-Net,
 * or the test fixture when the bundled model is absent) vs the same architecture in PyTorch
 * plus numpy/scipy post-processing (Debian /usr/bin/python3), measured in the same run.
 * Reports medians of pre-processing, inference and post-processing per image.
 * Env: DETECT_BENCH_MODEL (path), DETECT_BENCH_SIZE (1024), DETECT_BENCH_REPS (5), DETECT_BENCH_THREADS (2).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../agent/log.js';
import { createDetector, DEFAULT_MODEL_PATH } from '../agent/pipeline/detect.js';
import type { Frame } from '../agent/types.js';

const PY = '/usr/bin/python3';
const ROOT = join(import.meta.dirname, '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'onnx', 'unet-fixture.onnx');
const SIZE = Number(process.env.DETECT_BENCH_SIZE ?? 1024);
const REPS = Number(process.env.DETECT_BENCH_REPS ?? 5);
const THREADS = Number(process.env.DETECT_BENCH_THREADS ?? 2);

type Times = { preprocessMs: number; inferenceMs: number; postprocessMs: number };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A cavity-like test image: noisy background with dark discs, deterministic. */
function frame(size: number): Frame {
  const data = new Float32Array(size * size);
  let s = 12345;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < data.length; i++) data[i] = 140 + 20 * rnd();
  for (let k = 0; k < 60; k++) {
    const cx = rnd() * size, cy = rnd() * size, r = 4 + rnd() * 12;
    for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(size, cy + r); y++)
      for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(size, cx + r); x++)
        if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) data[y * size + x] = 90 + 10 * rnd();
  }
  return { width: size, height: size, data, dtype: 'uint8', min: 0, max: 255, mean: 140, pixelSize: null, format: 'bench' };
}

function baseChannels(modelPath: string): number {
  const manifest = modelPath.replace(/\.onnx$/, '.manifest.json');
  if (!existsSync(manifest)) return 4; // the fixture is base 4 (make_fixtures.py)
  return JSON.parse(readFileSync(manifest, 'utf8')).architecture.base_channels as number;
}

function reference(base: number): (Times & { torch: string }) | string {
  if (!existsSync(PY)) return `${PY} not found`;
  const script = join(ROOT, 'models', 'recipes', 'detector', 'bench_reference.py');
  const r = spawnSync(PY, [script, String(base), String(SIZE), String(THREADS), String(REPS)], { encoding: 'utf8' });
  if (r.status !== 0) return (r.stderr || 'failed').trim().split('\n').pop()!;
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const modelPath = process.env.DETECT_BENCH_MODEL ?? (existsSync(DEFAULT_MODEL_PATH) ? DEFAULT_MODEL_PATH : FIXTURE);
const det = await createDetector({ modelPath, providers: ['cpu'], threads: THREADS }, silentLogger);
const f = frame(SIZE);
const runs: Times[] = [];
let count = 0;
for (let i = 0; i < REPS; i++) {
  const r = await det.detect(f);
  runs.push(r);
  count = r.detections.length;
}
await det.close();
const ours: Times = {
  preprocessMs: median(runs.map((r) => r.preprocessMs)),
  inferenceMs: median(runs.map((r) => r.inferenceMs)),
  postprocessMs: median(runs.map((r) => r.postprocessMs)),
};
const ref = reference(baseChannels(modelPath));
console.log(`model ${modelPath.replace(ROOT + '/', '')} (${det.ep.active}, ${THREADS} threads), ${SIZE}x${SIZE}, median of ${REPS}, warm-up ${det.warmupMs?.toFixed(0)} ms, ${count} detections`);
console.log('| stage | temguard (onnxruntime-node) ms | PyTorch+scipy ms | ratio |');
console.log('|---|---|---|---|');
for (const k of ['preprocessMs', 'inferenceMs', 'postprocessMs'] as const) {
  const theirs = typeof ref === 'string' ? NaN : ref[k];
  console.log(`| ${k.replace('Ms', '')} | ${ours[k].toFixed(1)} | ${Number.isNaN(theirs) ? 'n/a' : theirs.toFixed(1)} | ${Number.isNaN(theirs) ? '' : (ours[k] / theirs).toFixed(2)} |`);
}
const total = ours.preprocessMs + ours.inferenceMs + ours.postprocessMs;
const refTotal = typeof ref === 'string' ? NaN : ref.preprocessMs + ref.inferenceMs + ref.postprocessMs;
console.log(`| total | ${total.toFixed(1)} | ${Number.isNaN(refTotal) ? 'n/a' : refTotal.toFixed(1)} | ${Number.isNaN(refTotal) ? '' : (total / refTotal).toFixed(2)} |`);
if (typeof ref === 'string') console.log(`reference unavailable: ${ref}`);
else console.log(`reference: torch ${ref.torch}, ${THREADS} threads`);
