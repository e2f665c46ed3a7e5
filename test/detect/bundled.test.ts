/**
 * The bundled cavity model through the agent's own detect stage: on fresh simulated images
 * (rendered in-process by temguard's simulator with seeds the recipe never used) it must find
 * the labelled cavities, and on a real micrograph it must find some and treat 8- and 16-bit
 * versions alike. Skipped when models/cavity-unet-all.onnx has not been built.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDetector, DEFAULT_MODEL_PATH, type Detector } from '../../agent/pipeline/detect.js';
import { silentLogger } from '../../agent/log.js';
import { detectorOptions } from '../../agent/config/derived.js';
import { loadConfig } from '../../agent/config/load.js';
import { matchImage } from '../../agent/learn/match.js';
import { renderPreset, to8bit } from '../../agent/sim/render.js';
import type { Box, Frame } from '../../agent/types.js';
import { findSpikes, spikeThreshold } from '../../agent/adapters/despike.js';
import { frameNoise } from '../../agent/adapters/denoise.js';
import { percentileRange } from '../../agent/adapters/normalise.js';
import { as16bit, frameFromFile } from './frame.js';

const TEM = fileURLToPath(new URL('../../../shared/data/tem/', import.meta.url));
const bundled = existsSync(DEFAULT_MODEL_PATH) ? test : test.skip;
const withReal = existsSync(DEFAULT_MODEL_PATH) && existsSync(TEM) ? test : test.skip;

let detector: Promise<Detector> | undefined;
const get = (): Promise<Detector> => (detector ??= createDetector({ modelPath: DEFAULT_MODEL_PATH, providers: ['cpu'] }, silentLogger));
test.after.always(async () => { if (detector) await (await detector).close(); });

function simFrame(preset: string, seed: number): { frame: Frame; truth: Box[] } {
  const r = renderPreset(preset, seed, 512);
  const px = to8bit(r);
  const frame: Frame = { width: r.width, height: r.height, data: Float32Array.from(px), dtype: 'uint8', min: 0, max: 255, mean: 128, pixelSize: null, format: 'sim' };
  const truth = r.labels.filter((l) => l.visible).map((l): Box => [l.bbox[0], l.bbox[1], l.bbox[0] + l.bbox[2], l.bbox[1] + l.bbox[3]]);
  return { frame, truth };
}

/** Pooled TP/FP/FN of a detector over fresh renders of one preset. */
async function pooled(d: Detector, preset: string, seeds: number[]): Promise<{ tp: number; fp: number; fn: number; f1: number }> {
  let tp = 0, fp = 0, fn = 0;
  for (const seed of seeds) {
    const { frame, truth } = simFrame(preset, seed);
    const m = matchImage(truth, (await d.detect(frame)).detections.map((x) => x.box));
    tp += m.tp; fp += m.fp; fn += m.fn;
  }
  return { tp, fp, fn, f1: (2 * tp) / Math.max(1, 2 * tp + fp + fn) };
}

// The manifest's validation (16 fresh images per preset): 0.82-0.91. Three images per preset
// here, so the floor leaves room for sampling; a detector trained on the wrong labels or on
// too narrow a scale range scored 0.64-0.80 on some of these presets.
for (const [preset, seed] of [['steel-under', 4_200_001], ['steel-over', 4_200_101], ['he-bubbles', 4_200_201], ['he-bubbles-over', 4_200_501], ['fe-insitu', 4_200_301]] as const) {
  bundled(`finds the labelled cavities in fresh simulated ${preset} images (pooled F1 >= 0.78)`, async (t) => {
    const r = await pooled(await get(), preset, [seed, seed + 1, seed + 2]);
    t.log(`${preset}: tp ${r.tp} fp ${r.fp} fn ${r.fn} F1 ${r.f1.toFixed(3)}`);
    t.true(r.tp + r.fn > 20, 'the images hold cavities');
    t.true(r.f1 >= 0.78, `F1 ${r.f1.toFixed(3)}`);
  });
}

bundled('simulated foils without cavities (ood-empty) get few detections, and less confident ones than real cavities', async (t) => {
  // An empty foil's precipitates and black dots look like voids of the other focus (dark with a
  // bright rim under focus), so a detector trained on both focuses finds some: they are what
  // the F1 forest must flag. Validation: ~23 per empty 512² image against ~87 per steel image
  // (~11 before he-bubbles-over joined the training: small dark dots became bubbles to it, the
  // price of finding the real over-focus voids; docs/detector/README.md).
  const d = await get();
  const seeds = [4_200_010, 4_200_011, 4_200_012];
  const empty = [], steel = [];
  for (const seed of seeds) {
    empty.push(...(await d.detect(simFrame('ood-empty', seed).frame)).detections);
    steel.push(...(await d.detect(simFrame('steel-under', seed).frame)).detections);
  }
  const mean = (xs: { score: number }[]): number => xs.reduce((a, x) => a + x.score, 0) / Math.max(1, xs.length);
  t.log(`ood-empty: ${empty.length} detections in 3 images (mean score ${mean(empty).toFixed(2)}); steel-under: ${steel.length} (${mean(steel).toFixed(2)})`);
  t.true(empty.length <= 0.4 * steel.length, `${empty.length} vs ${steel.length}`);
  t.true(mean(empty) < mean(steel) - 0.05);
});

withReal('real micrograph: detections with masks, and the same result for its 16-bit version', async (t) => {
  const d = await get();
  const f = await frameFromFile(join(TEM, '1 39K.png'));
  const r8 = await d.detect(f);
  const r16 = await d.detect(as16bit(f));
  t.log(`1 39K.png: ${r8.detections.length} detections, ${r8.inferenceMs.toFixed(0)} ms inference`);
  t.true(r8.detections.length >= 10);
  t.true(r8.detections.every((x) => x.mask && x.score >= 0.1 && x.score <= 1));
  t.deepEqual(r16.detections.map((x) => x.box), r8.detections.map((x) => x.box));
});

// The variants exist to give the F1 forest in- and out-of-domain pairs (the paper's Table 1):
// each must work on its own focus and fail on the other. Validation: 0.93 vs 0.09 and the like.
const MODELS = join(DEFAULT_MODEL_PATH, '..');
for (const [variant, own, other] of [['over', 'steel-over', 'steel-under'], ['under', 'steel-under', 'steel-over']] as const) {
  const path = join(MODELS, `cavity-unet-${variant}.onnx`);
  (existsSync(path) ? test : test.skip)(`variant cavity-unet-${variant}: good on ${own}, poor on ${other}`, async (t) => {
    const d = await createDetector({ modelPath: path, providers: ['cpu'] }, silentLogger);
    try {
      const inDomain = await pooled(d, own, [4_200_401, 4_200_402]);
      const outOfDomain = await pooled(d, other, [4_200_411, 4_200_412]);
      t.log(`${own} F1 ${inDomain.f1.toFixed(3)}, ${other} F1 ${outOfDomain.f1.toFixed(3)}`);
      t.true(inDomain.f1 >= 0.78, `in domain ${inDomain.f1}`);
      t.true(outOfDomain.f1 <= 0.4, `out of domain ${outOfDomain.f1}`);
    } finally {
      await d.close();
    }
  });
}

withReal('real micrograph with large cavities: the 40-70 px ones are found whole', async (t) => {
  // "16 BF 2 defocus 323.03nm.png" (0.235 nm/px) holds dozens of cavities 40-70 px across. A
  // model trained at scale 0.5-1.25x found none of them whole (0 boxes >= 40 px; 1 at best).
  const r = await (await get()).detect(await frameFromFile(join(TEM, '16 BF 2 defocus 323.03nm.png')));
  const large = r.detections.filter((x) => Math.sqrt((x.box[2] - x.box[0]) * (x.box[3] - x.box[1])) >= 40);
  t.log(`${r.detections.length} detections, ${large.length} with a box side >= 40 px`);
  t.true(large.length >= 12);
  t.true(large.every((x) => x.score >= 0.5), 'found with confidence');
});

const UNLABELLED = fileURLToPath(new URL('../../../shared/data/tem-unlabelled/', import.meta.url));
const withNoisy = existsSync(DEFAULT_MODEL_PATH) && existsSync(UNLABELLED) ? test : test.skip;

withNoisy('a frame noisier than the training is smoothed first: the voids stay, the noise dots go', async (t) => {
  // 00337.png (held out of self-training): two whole voids of 70-100 px on noise of sigma 0.21
  // after normalisation, beyond the 0.14 the model saw. Unsmoothed, the agent's detect stage
  // (windows, pyramid) gave 11 detections, 9 of them 3-5 px dots on noise (docs/detector/README.md).
  const d = await createDetector({ ...detectorOptions(loadConfig()), providers: ['cpu'], warmup: false }, silentLogger);
  const r = await d.detect(await frameFromFile(join(UNLABELLED, '00337.png'))).finally(() => d.close());
  const side = (b: Box): number => Math.min(b[2] - b[0], b[3] - b[1]);
  t.log(`noise ${r.smoothing?.noise.toFixed(3)}, smoothed with sigma ${r.smoothing?.sigma.toFixed(2)} px: ${r.detections.length} detections`);
  t.true(r.smoothing!.noise > 0.14 && r.smoothing!.sigma > 0);
  t.is(r.detections.filter((x) => side(x.box) >= 60).length, 2, 'both voids, whole');
  t.true(r.detections.length <= 4, `${r.detections.length} detections`);
});

withReal('a frame within the training noise is not smoothed', async (t) => {
  const r = await (await get()).detect(await frameFromFile(join(TEM, '75_01.jpg')));
  t.log(`75_01.jpg noise ${r.smoothing?.noise.toFixed(3)}`);
  t.true(r.smoothing!.noise > 0.08 && r.smoothing!.noise <= 0.14, 'noisy, but within what the model saw');
  t.is(r.smoothing!.sigma, 0);
  t.is(r.smoothing!.grayLevels, undefined, 'continuous tone: not posterised');
});

withReal('a posterised frame is smoothed first: its one-level plateaus are not taken for cavities', async (t) => {
  // 800H-H01-1 0007 (2004x1335) holds 5 gray levels between its percentiles 1 and 99. Before
  // dequantise.ts the detector gave 98 detections, most of them 10-40 px plateaus of one level;
  // with it 33, and the 5 objects of 2000 px or more are still there.
  const d = await createDetector({ ...detectorOptions(loadConfig()), providers: ['cpu'], warmup: false }, silentLogger);
  const r = await d.detect(await frameFromFile(join(TEM, '800H-H01-1_2016-02-27_0007.png'))).finally(() => d.close());
  t.log(`gray levels ${r.smoothing?.grayLevels}, sigma ${r.smoothing?.sigma} px: ${r.detections.length} detections`);
  t.true(r.smoothing!.grayLevels! <= 32);
  t.is(r.smoothing!.sigma, 1);
  t.true(r.detections.length <= 45, `${r.detections.length} detections (33 measured)`);
  const area = (b: Box): number => (b[2] - b[0]) * (b[3] - b[1]);
  t.true(r.detections.filter((x) => area(x.box) >= 2000).length >= 3, 'the large objects stay');
});

withNoisy('X-ray hits and hot pixels are removed first: none is taken for a cavity', async (t) => {
  // 9_200K.png (2048², noise 1.7 counts): 35 spikes, one or two pixels over a faint halo, 20-90
  // noise sigmas up. Without despike, 11 of its 37 detections sat on one (scores up to 0.97).
  const d = await createDetector({ ...detectorOptions(loadConfig()), providers: ['cpu'], warmup: false }, silentLogger);
  const frame = await frameFromFile(join(UNLABELLED, '9_200K.png'));
  const r = await d.detect(frame).finally(() => d.close());
  const { gain } = percentileRange(frame.data, 1, 99);
  const spikes = findSpikes(frame.data, frame.width, frame.height, spikeThreshold({ k: 16, range: 0.35 }, frameNoise(frame.data, frame.width, frame.height, 1), 1 / gain));
  const inside = (b: Box, i: number): boolean => { const x = i % frame.width, y = Math.floor(i / frame.width); return x >= b[0] && x < b[2] && y >= b[1] && y < b[3]; };
  const onSpike = r.detections.filter((x) => spikes.some((i) => inside(x.box, i)));
  t.log(`${r.spikes} spikes removed; ${r.detections.length} detections, ${onSpike.length} on a spike`);
  t.true(r.spikes! >= 30, `${r.spikes} spikes`);
  t.true(spikes.length >= 30);
  t.true(onSpike.length <= 1, `${onSpike.length} detections on a spike`);
});

withNoisy('touching faceted voids found one by one at finer scale stay apart at the coarse levels', async (t) => {
  // 00048.png (666²): two touching ~60 px voids at x 96-214, y 88-176. The half-scale
  // level finds them one by one; the quarter-scale level sees one blob, which used to replace them
  // (scales.ts, touchingObjects; docs/detector/README.md).
  const d = await createDetector({ ...detectorOptions(loadConfig()), providers: ['cpu'], warmup: false }, silentLogger);
  const r = await d.detect(await frameFromFile(join(UNLABELLED, '00048.png'))).finally(() => d.close());
  const within = (b: Box): boolean => b[0] >= 90 && b[1] >= 82 && b[2] <= 220 && b[3] <= 182;
  const pair = r.detections.filter((x) => within(x.box));
  t.log(pair.map((x) => x.box.join(',')).join(' '));
  t.is(pair.length, 2);
  t.true(pair.every((x) => (x.box[2] - x.box[0]) >= 50 && (x.box[3] - x.box[1]) >= 50), 'each void whole');
});

withNoisy('a large faceted void found whole at a coarse level replaces the round pieces of its rim', async (t) => {
  // 00216.png (666²): a 210 px octagonal void at x 416-636, y 420-616. Full scale cuts its rim into
  // 14 compact pieces; their count alone made it a "cluster of small cavities", and the whole void
  // found at 1/2 and 1/4 scale was dropped (19 detections). They cover a tenth of it (scales.ts, isCluster).
  const d = await createDetector({ ...detectorOptions(loadConfig()), providers: ['cpu'], warmup: false }, silentLogger);
  const r = await d.detect(await frameFromFile(join(UNLABELLED, '00216.png'))).finally(() => d.close());
  const onVoid = r.detections.filter((x) => x.box[0] >= 400 && x.box[1] >= 400 && x.box[2] <= 650 && x.box[3] <= 630);
  t.log(`${r.detections.length} detections; on the void: ${onVoid.map((x) => x.box.join(',')).join(' ')}`);
  t.is(onVoid.length, 1, 'one detection, not pieces');
  t.true(onVoid[0]!.box[2] - onVoid[0]!.box[0] >= 180 && onVoid[0]!.box[3] - onVoid[0]!.box[1] >= 170, 'the whole void');
});
