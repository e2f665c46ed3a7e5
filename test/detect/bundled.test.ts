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
import { matchImage } from '../../agent/learn/match.js';
import { renderPreset, to8bit } from '../../agent/sim/render.js';
import type { Box, Frame } from '../../agent/types.js';
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

bundled('finds the labelled cavities in fresh simulated under-focus steel images (pooled F1 >= 0.65)', async (t) => {
  const d = await get();
  let tp = 0, fp = 0, fn = 0;
  for (const seed of [4_200_001, 4_200_002, 4_200_003, 4_200_004, 4_200_005, 4_200_006]) {
    const { frame, truth } = simFrame('steel-under', seed);
    const r = await d.detect(frame);
    const m = matchImage(truth, r.detections.map((x) => x.box));
    tp += m.tp; fp += m.fp; fn += m.fn;
  }
  const f1 = (2 * tp) / (2 * tp + fp + fn);
  t.log(`tp ${tp} fp ${fp} fn ${fn} F1 ${f1.toFixed(3)}`);
  t.true(tp + fn > 20, 'the images hold cavities');
  t.true(f1 >= 0.65, `F1 ${f1.toFixed(3)}`); // the manifest's 12 validation images: 0.87
});

bundled('simulated foils without cavities (ood-empty) get few detections', async (t) => {
  const d = await get();
  let n = 0;
  for (const seed of [4_200_010, 4_200_011, 4_200_012]) n += (await d.detect(simFrame('ood-empty', seed).frame)).detections.length;
  t.log(`ood-empty: ${n} detections in 3 images`);
  t.true(n <= 20); // validation: 64 in 12 images
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
