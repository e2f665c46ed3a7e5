/**
 * The agent's own cost per image, beside a Python lab script doing the same work around the
 * same network in the same run (bench/lab_reference.py): everything but `session.run`, so the
 * detect stage's pre- and post-processing (normalisation, windows, pyramid, components, merge)
 * counts as overhead. On every real image of ../shared/data/tem (or a synthetic 1024² PNG
 * without it) and a 4096² 16-bit TIFF. Then peak RSS of `temguard predict` on large frames
 * (a child process each, inference included), and memory over 1000 frames of mixed sizes
 * through the whole pipeline, to show it flat. Prints ratios; asserts nothing.
 *
 *   npm run bench -- pipeline       (TEMGUARD_BENCH_IMAGES=N for the 1000, TEMGUARD_BENCH_REPS for 5,
 *                                    TEMGUARD_BENCH_PARTS=overhead,rss,memory for a subset)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import sharp from 'sharp';
import { percentileRange } from '../agent/adapters/normalise.js';
import { padTo, unetParams } from '../agent/adapters/unet.js';
import { decodeOptions, detectorOptions } from '../agent/config/derived.js';
import { loadConfig } from '../agent/config/load.js';
import { silentLogger } from '../agent/log.js';
import { analyseImage, type AnalyseDeps } from '../agent/pipeline/analyse.js';
import { decodeFile } from '../agent/pipeline/decode.js';
import { createDetector, DEFAULT_MODEL_PATH } from '../agent/pipeline/detect.js';
import { DEFAULT_FOREST_PATH, loadForest } from '../agent/pipeline/forest.js';
import { StateStore } from '../agent/pipeline/outbox.js';
import { envelope } from '../agent/pipeline/payloads.js';
import { copyCore, fillWindow, planTiles } from '../agent/pipeline/tiles.js';
import { PACKAGE_ROOT } from '../agent/paths.js';

const N_MEM = Number(process.env.TEMGUARD_BENCH_IMAGES ?? 1000);
const REPS = Number(process.env.TEMGUARD_BENCH_REPS ?? 5);
const PY = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'tg-bench-'));
const TEM = join(PACKAGE_ROOT, '..', 'shared', 'data', 'tem');
const BIG = join(PACKAGE_ROOT, '..', 'shared', 'data', 'tem-unlabelled', '800H-H07_0068.png');

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

/** The real cavity images, or a textured synthetic 1024² PNG when ../shared is absent. */
async function realImages(): Promise<string[]> {
  if (existsSync(TEM)) return readdirSync(TEM).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort().map((f) => join(TEM, f));
  const w = 1024, px = Buffer.alloc(w * w);
  for (let i = 0; i < px.length; i++) px[i] = 128 + 60 * Math.sin(i / 37) * Math.cos(i / 1500) + ((i * 2654435761) % 23);
  const p = join(dir, 'synthetic-1024.png');
  await sharp(px, { raw: { width: w, height: w, channels: 1 } }).png().toFile(p);
  return [p];
}

/** The real 4k frame with seeded noise added (sigma ~0.2 after normalisation, as the noisiest real frames): the detector smooths it first. */
async function noisyCopy(src: string): Promise<string> {
  const { data, info } = await sharp(src).greyscale().raw().toBuffer({ resolveWithObject: true });
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const u = ((s >>> 8) & 0xffff) / 65536 + ((Math.imul(s, 69069) >>> 16) & 0xffff) / 65536 - 1; // triangular, std 0.41
    data[i] = Math.max(0, Math.min(255, data[i]! + 110 * u));
  }
  const p = join(dir, `noisy-${basename(src)}`);
  await sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } }).png().toFile(p);
  return p;
}

/** A 4096² uncompressed 16-bit TIFF: a real 1024² cavity image tiled 4x4 (as a camera frame of that field would look), else a synthetic texture. */
async function image4096(): Promise<string> {
  const w = 4096, px = new Uint16Array(w * w);
  const src = join(TEM, '1 39K.png');
  if (existsSync(src)) {
    const { data } = await sharp(src).greyscale().resize(1024, 1024).raw().toBuffer({ resolveWithObject: true });
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) px[y * w + x] = 3000 + 200 * data[(y % 1024) * 1024 + (x % 1024)]!;
  } else {
    for (let i = 0; i < px.length; i++) px[i] = 20000 + 8000 * Math.sin(i / 53) + ((i * 2654435761) % 997);
  }
  const p = join(dir, 'frame-4096-16bit.tif');
  // A Uint16Array (not a Buffer) tells sharp the raw samples are 16-bit; sharp's default TIFF compression is JPEG (8-bit).
  await sharp(px, { raw: { width: w, height: w, channels: 1 } }).toColourspace('grey16').tiff({ compression: 'none' }).toFile(p);
  return p;
}

/** The network's level-0 probability map of one image (windowed, like the agent), written raw for the lab script. */
async function probMap(session: InferenceSession, path: string): Promise<{ prob: string; width: number; height: number; pw: number; ph: number }> {
  const f = await decodeFile(path);
  const p = unetParams({ inputNames: session.inputNames, outputNames: session.outputNames, metadata: {} });
  const { offset, gain } = percentileRange(f.data, 1, 99);
  const plan = planTiles(f.width, f.height, 960, 64, p.stride);
  const map = new Float32Array(f.width * f.height);
  const input = new Float32Array(plan.width * plan.height);
  for (const t of plan.tiles) {
    fillWindow(f.data, f.width, f.height, t, input, plan.width, plan.height, offset, gain);
    const out = await session.run({ [p.input]: new Tensor('float32', input, [1, 1, plan.height, plan.width]) });
    copyCore(out[p.output]!.data as Float32Array, plan.width, t, map, f.width);
  }
  const file = join(dir, `${basename(path)}.prob`);
  writeFileSync(file, Buffer.from(map.buffer));
  return { prob: file, width: f.width, height: f.height, pw: padTo(f.width, p.stride), ph: padTo(f.height, p.stride) };
}

async function overhead(deps: AnalyseDeps, images: string[], threshold: number, minArea: number): Promise<void> {
  const session = await InferenceSession.create(deps.detector.model.path, { intraOpNumThreads: 2 });
  const jobs: Record<string, unknown>[] = [];
  const ours: Record<string, { ms: number; detect: number; size: string; n: number; levels: number }> = {};
  for (const path of images) {
    const name = basename(path);
    const runs: number[] = [];
    const pre: number[] = [];
    let last;
    for (let i = 0; i <= REPS; i++) {
      last = await analyseImage(path, 'bench', deps);
      if (i === 0) continue; // warm-up
      runs.push(last.timing_ms.total - last.timing_ms.inference);
      pre.push(last.timing_ms.detect_pre + last.timing_ms.detect_post);
    }
    ours[name] = { ms: median(runs), detect: median(pre), size: `${last!.image.width}x${last!.image.height} ${last!.image.dtype}`, n: last!.detections.count, levels: last!.detector.levels ?? 1 };
    jobs.push({ name, path, threshold, min_area: minArea, ...(await probMap(session, path)) });
  }
  await session.release();
  const jobsFile = join(dir, 'jobs.json');
  writeFileSync(jobsFile, JSON.stringify(jobs));
  const py = spawnSync(PY, [join(PACKAGE_ROOT, 'bench', 'lab_reference.py'), jobsFile, String(REPS)], { encoding: 'utf8', maxBuffer: 1 << 24 });
  const lab: Record<string, number> = py.status === 0 ? JSON.parse(py.stdout.trim().split('\n').pop()!) : {};
  if (py.status !== 0) console.log(`Python lab script unavailable (${PY} with PIL, numpy, scipy, sklearn): ${py.stderr.slice(-300)}`);
  console.log(`\n### per-image time outside session.run (median of ${REPS}; detect pre+post included)`);
  console.log('| image | size | detections | levels | temguard ms | of which detect pre+post | Python lab ms | ratio |\n|---|---|---|---|---|---|---|---|');
  const ratios: number[] = [];
  for (const [name, o] of Object.entries(ours)) {
    const l = lab[name];
    if (l) ratios.push(o.ms / l);
    console.log(`| ${name} | ${o.size} | ${o.n} | ${o.levels} | ${o.ms.toFixed(1)} | ${o.detect.toFixed(1)} | ${l ? l.toFixed(1) : 'n/a'} | ${l ? (o.ms / l).toFixed(2) : ''} |`);
  }
  const small = Object.entries(ours).filter(([n]) => !n.startsWith('frame-4096'));
  console.log(`median over ${small.length} real images: temguard ${median(small.map(([, o]) => o.ms)).toFixed(1)} ms, lab ${lab[small[0]![0]] ? median(small.map(([n]) => lab[n]!)).toFixed(1) : 'n/a'} ms; median ratio ${ratios.length ? median(ratios).toFixed(2) : 'n/a'}x`);
}

/** Peak RSS of a one-shot `temguard predict` (its own process, inference included). */
function peakRss(path: string): string {
  const cli = join(PACKAGE_ROOT, 'dist', 'agent', 'cli.js');
  const args = existsSync(cli) ? [cli] : ['--import', 'tsx', join(PACKAGE_ROOT, 'agent', 'cli.ts')];
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args, 'predict', path], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) return `failed: ${r.stderr.slice(-200)}`;
  const kb = Number(r.stderr.trim().split('\n').pop());
  const res = JSON.parse(r.stdout) as { detections: { count: number }; detector: { levels?: number; windows?: number; smoothing?: { noise: number; sigma_px: number } } };
  const sm = res.detector.smoothing;
  return `${(kb / 1024).toFixed(0)} MiB peak RSS, ${((performance.now() - t0) / 1000).toFixed(1)} s wall, ${res.detections.count} detections, ${res.detector.levels ?? 1} levels, ${res.detector.windows ?? 1} windows${sm ? `, noise ${sm.noise}, smoothed ${sm.sigma_px} px` : ''}`;
}

/** 1000 frames cycling through 256² .. 2048² (a 4096² one every 250) through the whole pipeline. */
async function memory(deps: AnalyseDeps, src: string, big: string): Promise<void> {
  const sizes = [256, 512, 768, 1024, 1536, 2048];
  const files = await Promise.all(sizes.map(async (s) => { const p = join(dir, `mem-${s}.png`); await sharp(src).greyscale().resize(s, s).png().toFile(p); return p; }));
  const store = StateStore.open(mkdtempSync(join(dir, 'state-mem-')), silentLogger);
  const gc = (globalThis as { gc?: () => void }).gc;
  const rows: string[] = [];
  let base = 0;
  let peak = 0;
  const t0 = performance.now();
  for (let i = 1; i <= N_MEM; i++) {
    const path = i % 250 === 0 ? big : files[i % files.length]!;
    const r = await analyseImage(path, `m${i}`, deps);
    const payload = envelope('result', store.nextSeq(), 'bench', r);
    store.recordImage(`m${i}`, [{ topic: 'result', msg_id: payload.msg_id, seq: payload.seq, payload }]);
    store.ack([payload.msg_id]);
    peak = Math.max(peak, process.memoryUsage().rss);
    if (i % Math.max(1, Math.floor(N_MEM / 5)) === 0 || i === 50) {
      gc?.();
      const m = process.memoryUsage();
      if (i === 50) base = m.rss;
      rows.push(`| ${i} | ${(m.rss / 2 ** 20).toFixed(1)} | ${(m.heapUsed / 2 ** 20).toFixed(1)} | ${(m.external / 2 ** 20).toFixed(1)} |`);
    }
  }
  const end = process.memoryUsage().rss;
  store.close();
  console.log(`\n### memory over ${N_MEM} frames of ${sizes.join('/')}² and a 4096² every 250 (full pipeline incl. inference, ${((performance.now() - t0) / N_MEM).toFixed(0)} ms/frame)`);
  console.log('| frames | rss MiB | heap MiB | external MiB |\n|---|---|---|---|');
  console.log(rows.join('\n'));
  console.log(`rss growth from frame 50 to ${N_MEM}: ${((end - base) / 2 ** 20).toFixed(1)} MiB; highest rss seen ${(peak / 2 ** 20).toFixed(0)} MiB`);
}

const cfg = loadConfig({});
const modelPath = existsSync(DEFAULT_MODEL_PATH) ? DEFAULT_MODEL_PATH : join(PACKAGE_ROOT, 'test', 'fixtures', 'onnx', 'unet-fixture.onnx');
const detector = await createDetector({ ...detectorOptions(cfg), modelPath, providers: ['cpu'], threads: 2 }, silentLogger);
const forest = await loadForest(process.env.TEMGUARD_FOREST_MODEL ?? DEFAULT_FOREST_PATH, { threshold: 0.5 });
const deps: AnalyseDeps = { detector, forest, decode: decodeOptions(cfg), maxItems: 500 };
console.log(`detector ${detector.model.name} (tile ${cfg.detector.tile}, margin ${cfg.detector.tile_margin}, max object ${cfg.detector.max_object_px} px), forest ${forest.manifest.name}, 2 threads`);
const parts = (process.env.TEMGUARD_BENCH_PARTS ?? 'overhead,rss,memory').split(',');
const images = await realImages();
const big4096 = await image4096();
if (parts.includes('overhead')) await overhead(deps, [...images, big4096], Number(detector.model.metadata['temguard.threshold'] ?? 0.5), Number(detector.model.metadata['temguard.min_area'] ?? 6));
if (parts.includes('rss')) {
  console.log('\n### peak RSS of `temguard predict`, inference included (decode.memory_budget_mb ' + cfg.decode.memory_budget_mb + ')');
  console.log(`- 4096² 16-bit TIFF: ${peakRss(big4096)}`);
  if (existsSync(BIG)) {
    console.log(`- real 4008x2672 8-bit PNG (${basename(BIG)}): ${peakRss(BIG)}`);
    console.log(`- the same with noise added, smoothed before detection: ${peakRss(await noisyCopy(BIG))}`);
  }
}
if (parts.includes('memory')) await memory(deps, images[0]!, big4096);
await detector.close();
