import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createDefocusEstimator, estimateDefocus, type Blob } from '../../agent/physics/defocus.js';
import { createFringeModel, simulateProfile, DEFAULT_FRINGE_MODEL } from '../../agent/physics/fringe-model.js';
import { profileBins } from '../../agent/physics/profile.js';
import { statedDefocus } from '../../agent/physics/stated.js';
import { drawParams } from '../../agent/sim/presets.js';
import { render } from '../../agent/sim/render.js';
import { createRng } from '../../agent/sim/rng.js';
import type { Frame } from '../../agent/types.js';

const model = createFringeModel();
const DATA = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'tem');

/** A simulated image at a chosen defocus, with the visible cavities as the blobs to fit. */
function simulated(preset: string, seed: number, defocusNm: number): { frame: Frame; blobs: Blob[] } {
  const p = drawParams(preset, createRng(seed), 384);
  p.optics.defocusNm = defocusNm;
  const r = render(p, seed);
  const frame: Frame = { width: r.width, height: r.height, data: r.image, dtype: 'float32', min: 0, max: 1, mean: 1, pixelSize: { x: p.pixelNm, y: p.pixelNm, unit: 'nm' }, format: 'sim' };
  return { frame, blobs: r.labels.filter((l) => l.visible).map((l) => ({ cx: l.cx, cy: l.cy, rPx: l.diameterNm / 2 / p.pixelNm, score: 1 })) };
}

test('the model profile follows the observable rule: under-focus bright centre, over-focus dark', (t) => {
  // A 3 nm void at 0.4 nm/px: radius 7.5 px; the first fringe lies within ~2 sqrt(λ|z|) = 3.2 nm (8 px) outside it.
  const bins = profileBins(30, 1);
  const mean = (p: Float64Array, lo: number, hi: number): number => p.slice(lo, hi).reduce((s, v) => s + v, 0) / (hi - lo);
  const centreMinusRim = (z: number): number => {
    const p = simulateProfile(3, z, 0.4, bins, DEFAULT_FRINGE_MODEL);
    return mean(p, 0, 7) - mean(p, 7, 12);
  };
  t.true(centreMinusRim(-1000) > 0);
  t.true(centreMinusRim(1000) < 0);
});

for (const [preset, seed, z] of [['steel-under', 3, -1500], ['steel-under', 4, -600], ['steel-over', 5, 1200], ['he-bubbles', 6, -800]] as const) {
  test(`simulated ${preset} at ${z / 1000} um: sign right, magnitude within 30 %, interval given`, (t) => {
    const { frame, blobs } = simulated(preset, seed, z);
    const e = estimateDefocus(frame, blobs, model);
    t.not(e.defocus_um, null, JSON.stringify(e));
    t.is(Math.sign(e.defocus_um!), Math.sign(z));
    t.true(Math.abs(e.defocus_um! * 1000 - z) / Math.abs(z) < 0.3, `estimated ${e.defocus_um} um, true ${z / 1000}`);
    t.true(e.defocus_sigma_um! >= 0 && e.defocus_sigma_um! < 0.5);
    t.is(e.method, 'fresnel_fringe');
  });
}

test('not measurable: null with the reason, never a guess', (t) => {
  const { frame, blobs } = simulated('steel-under', 3, -1500);
  const noPixel = estimateDefocus({ ...frame, pixelSize: null }, blobs, model);
  t.like(noPixel, { defocus_um: null, defocus_sigma_um: null, reason: 'pixel_size_unknown' });
  const inPx = estimateDefocus({ ...frame, pixelSize: { x: 1, y: 1, unit: 'px' } }, blobs, model);
  t.is(inPx.reason, 'pixel_size_unknown');
  t.like(estimateDefocus(frame, [], model), { defocus_um: null, reason: 'too_few_cavities', cavities: 0 });
  // Cavity-sized blobs on pure noise: nothing there looks like a Fresnel-imaged void.
  const rng = createRng(9);
  const noise = new Float32Array(frame.width * frame.height).map(() => rng.normal());
  const fake = Array.from({ length: 12 }, (_, i) => ({ cx: 60 + (i % 4) * 80, cy: 80 + Math.floor(i / 4) * 100, rPx: 5, score: 1 }));
  const e = estimateDefocus({ ...frame, data: noise }, fake, model);
  t.is(e.defocus_um, null);
  t.true(e.reason === 'no_fresnel_fringe' || e.reason === 'sign_ambiguous', JSON.stringify(e));
});

test('statedDefocus reads the names the microscopists wrote', (t) => {
  t.deepEqual(statedDefocus('3-2 defocus -2um.png'), { um: -2, sign: -1 });
  t.deepEqual(statedDefocus('5-4 2um.png'), { um: 2, sign: 1 });
  t.deepEqual(statedDefocus('5-2 78K -1um.png'), { um: -1, sign: -1 });
  t.deepEqual(statedDefocus('16 BF 2 defocus 323.03nm.png'), { um: 0.32303, sign: 0 });
  t.deepEqual(statedDefocus('74dpa-voids4 Under focus.png'), { um: null, sign: -1 });
  t.deepEqual(statedDefocus('100dpa Voids2 over 512.png'), { um: null, sign: 1 });
  t.is(statedDefocus('10 115K.png'), null);
});

const real = existsSync(DATA) ? test : test.skip;
real('real images through the agent detector: the stated focus sign comes out (needs ../shared/data)', async (t) => {
  const { openDetectorDeps } = await import('../../agent/learn/detector-deps.js');
  const { deps, close } = await openDetectorDeps({ providers: ['cpu'] });
  t.teardown(close);
  const estimator = createDefocusEstimator();
  for (const [name, pixelNm, sign] of [['3-2 defocus -2um.png', 0.143, -1], ['100dpa Voids2 over 512.png', 0.164, 1]] as const) {
    const f = await deps.decode(join(DATA, name));
    const frame = { ...f, pixelSize: { x: pixelNm, y: pixelNm, unit: 'nm' } };
    const e = estimator.estimate(frame, await deps.detect(frame));
    t.not(e.defocus_um, null, `${name}: ${JSON.stringify(e)}`);
    t.is(Math.sign(e.defocus_um!), sign, name);
  }
});
