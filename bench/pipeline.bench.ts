/**
 * The agent's own cost per image, beside a Python lab script doing the same work in the
 * same run (PIL decode, sha256, numpy features, scikit-learn forest): everything but the
 * detector's inference, which is the model's cost, not the agent's (bench/detect.bench.ts
 * times that). Then memory over 1000 images through the whole pipeline, inference included,
 * to show no growth. Prints ratios; asserts nothing.
 *
 *   npm run bench -- pipeline            (TEMGUARD_BENCH_IMAGES=N to change the 1000)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { silentLogger } from '../agent/log.js';
import { analyseImage } from '../agent/pipeline/analyse.js';
import { createDetector, DEFAULT_MODEL_PATH, type Detector } from '../agent/pipeline/detect.js';
import { DEFAULT_FOREST_PATH, loadForest } from '../agent/pipeline/forest.js';
import { StateStore } from '../agent/pipeline/outbox.js';
import { envelope } from '../agent/pipeline/payloads.js';
import { PACKAGE_ROOT } from '../agent/paths.js';

const N_MEM = Number(process.env.TEMGUARD_BENCH_IMAGES ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'tg-bench-'));
const realPng = join(PACKAGE_ROOT, '..', 'shared', 'data', 'tem', '100dpa Voids2 over 512.png');

/** A 1024² 8-bit PNG: the real TEM image when ../shared exists, else a textured synthetic one. */
async function image1024(): Promise<string> {
  if (existsSync(realPng)) return realPng;
  const w = 1024, px = Buffer.alloc(w * w);
  for (let i = 0; i < px.length; i++) px[i] = 128 + 60 * Math.sin(i / 37) * Math.cos(i / 1500) + ((i * 2654435761) % 23);
  const p = join(dir, 'synthetic-1024.png');
  await sharp(px, { raw: { width: w, height: w, channels: 1 } }).png().toFile(p);
  return p;
}

async function image4096(): Promise<string> {
  const w = 4096, px = new Uint16Array(w * w);
  for (let i = 0; i < px.length; i++) px[i] = 20000 + 8000 * Math.sin(i / 53) + ((i * 2654435761) % 997);
  const p = join(dir, 'synthetic-4096-16bit.tif');
  // A Uint16Array (not a Buffer) tells sharp the raw samples are 16-bit.
  await sharp(px, { raw: { width: w, height: w, channels: 1 } }).toColourspace('grey16').tiff({ compression: 'none' }).toFile(p); // sharp's default TIFF compression is JPEG (8-bit)
  return p;
}

/** A detector that returns the real detector's detections for this image without running it again. */
function replay(real: Detector, dets: Awaited<ReturnType<Detector['detect']>>): Detector {
  return { ...real, model: real.model, ep: real.ep, detect: async () => ({ ...dets, inferenceMs: 0 }), close: async () => {} };
}

function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; }

const PY_REFERENCE = String.raw`
import sys, time, hashlib, json, numpy as np
from PIL import Image
from sklearn.ensemble import RandomForestRegressor
path, reps = sys.argv[1], int(sys.argv[2])
dets = json.load(open(sys.argv[3]))
rng = np.random.default_rng(0)
X = rng.random((800, 8)); y = rng.random(800)
rf = RandomForestRegressor(n_estimators=100, min_samples_leaf=3, random_state=0).fit(X, y)
def features(d, w, h):
    s = np.array([x['score'] for x in d]) if d else np.zeros(0)
    a = np.array([(x['box'][2]-x['box'][0])*(x['box'][3]-x['box'][1]) for x in d]) if d else np.zeros(0)
    n = len(s); bins = np.digitize(s, np.arange(0.1, 1.0, 0.1)) if n else []
    counts = [float(np.sum(bins == k)) / n if n else 0.0 for k in range(1, 10)]
    return counts + [a.sum()/(w*h) if n else 0, s.mean() if n else 0, s.std() if n else 0, (a/(w*h)).mean() if n else 0, (a/(w*h)).std() if n else 0, n, (a*s).sum()/a.sum() if n and a.sum() else 0]
times = []
for _ in range(reps):
    t0 = time.perf_counter()
    raw = open(path, 'rb').read(); h = hashlib.sha256(raw).hexdigest()
    im = np.asarray(Image.open(path).convert('F'), dtype=np.float32)
    f = features(dets, im.shape[1], im.shape[0])
    p = rf.predict(np.array([f[:8]]))[0]
    json.dumps({'sha256': h, 'features': f, 'f1': float(p)})
    times.append((time.perf_counter() - t0) * 1000)
times.sort(); print(json.dumps({'median_ms': times[len(times)//2]}))
`;

async function overhead(detector: Detector, forest: Awaited<ReturnType<typeof loadForest>>, path: string, label: string, reps: number): Promise<void> {
  const first = await analyseImage(path, 'bench', { detector, forest, decode: {}, maxItems: 500 });
  const dets = await detector.detect(await (await import('../agent/pipeline/decode.js')).decodeFile(path));
  const fake = replay(detector, dets);
  const store = StateStore.open(mkdtempSync(join(dir, 'state-')), silentLogger);
  const stages: Record<string, number[]> = { read: [], decode: [], features: [], forest: [], record: [], total: [] };
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const r = await analyseImage(path, 'bench', { detector: fake, forest, decode: {}, maxItems: 500 });
    const t1 = performance.now();
    const payload = envelope('result', store.nextSeq(), 'bench', r);
    store.recordImage(`bench-${label}-${i}`, [{ topic: 'result', msg_id: payload.msg_id, seq: payload.seq, payload }]);
    store.ack([payload.msg_id]);
    const t2 = performance.now();
    for (const k of ['read', 'decode', 'features', 'forest'] as const) stages[k]!.push(r.timing_ms[k]);
    stages.record!.push(t2 - t1);
    stages.total!.push(t2 - t0);
  }
  store.close();
  const detsFile = join(dir, 'dets.json');
  writeFileSync(detsFile, JSON.stringify(dets.detections.map((d) => ({ box: d.box, score: d.score }))));
  const py = spawnSync('/usr/bin/python3', ['-c', PY_REFERENCE, path, String(reps), detsFile], { encoding: 'utf8' });
  const pyMs = py.status === 0 ? (JSON.parse(py.stdout.trim().split('\n').pop()!) as { median_ms: number }).median_ms : NaN;
  const ours = median(stages.total!);
  console.log(`\n### ${label}: ${first.image.width}x${first.image.height} ${first.image.dtype}, ${first.detections.count} detections (inference ${first.detector.inference_ms} ms, not counted)`);
  console.log('| stage | median ms |\n|---|---|');
  for (const [k, v] of Object.entries(stages)) console.log(`| ${k} | ${median(v).toFixed(2)} |`);
  console.log(`agent overhead (read+hash, decode, features, forest, envelope, fsynced journal/outbox line): ${ours.toFixed(2)} ms`);
  console.log(Number.isFinite(pyMs)
    ? `Python lab script (PIL + hashlib + numpy features + sklearn forest, same image, same run): ${pyMs.toFixed(2)} ms -> temguard/python = ${(ours / pyMs).toFixed(2)}x`
    : `Python reference unavailable (/usr/bin/python3 with PIL, numpy, sklearn): ${py.stderr.slice(0, 200)}`);
}

async function memory(detector: Detector, forest: Awaited<ReturnType<typeof loadForest>>): Promise<void> {
  const p = join(dir, 'mem-512.png');
  await sharp(await image1024()).resize(512, 512).greyscale().png().toFile(p);
  const store = StateStore.open(mkdtempSync(join(dir, 'state-mem-')), silentLogger);
  const gc = (globalThis as { gc?: () => void }).gc;
  const rows: string[] = [];
  let base = 0;
  const t0 = performance.now();
  for (let i = 1; i <= N_MEM; i++) {
    const r = await analyseImage(p, `m${i}`, { detector, forest, decode: {}, maxItems: 500 });
    const payload = envelope('result', store.nextSeq(), 'bench', r);
    store.recordImage(`m${i}`, [{ topic: 'result', msg_id: payload.msg_id, seq: payload.seq, payload }]);
    store.ack([payload.msg_id]);
    if (i % Math.max(1, Math.floor(N_MEM / 5)) === 0 || i === 50) {
      gc?.();
      const m = process.memoryUsage();
      if (i === 50) base = m.rss;
      rows.push(`| ${i} | ${(m.rss / 2 ** 20).toFixed(1)} | ${(m.heapUsed / 2 ** 20).toFixed(1)} | ${(m.external / 2 ** 20).toFixed(1)} |`);
    }
  }
  const end = process.memoryUsage().rss;
  store.close();
  console.log(`\n### memory over ${N_MEM} images (512², full pipeline incl. inference, ${((performance.now() - t0) / N_MEM).toFixed(1)} ms/image)`);
  console.log('| images | rss MiB | heap MiB | external MiB |\n|---|---|---|---|');
  console.log(rows.join('\n'));
  console.log(`rss growth from image 50 to ${N_MEM}: ${((end - base) / 2 ** 20).toFixed(1)} MiB (${((end / base - 1) * 100).toFixed(1)}%)`);
}

const modelPath = existsSync(DEFAULT_MODEL_PATH) ? DEFAULT_MODEL_PATH : join(PACKAGE_ROOT, 'test', 'fixtures', 'onnx', 'unet-fixture.onnx');
const detector = await createDetector({ modelPath, providers: ['cpu'] }, silentLogger);
const forest = await loadForest(process.env.TEMGUARD_FOREST_MODEL ?? DEFAULT_FOREST_PATH, { threshold: 0.5 });
console.log(`detector ${detector.model.name}, forest ${forest.manifest.name}`);
// Memory first: the 4096² inference below grows onnxruntime's arena for the rest of the process.
await memory(detector, forest);
await overhead(detector, forest, await image1024(), '1024² 8-bit PNG', 30);
await overhead(detector, forest, await image4096(), '4096² 16-bit TIFF', 5);
await detector.close();
