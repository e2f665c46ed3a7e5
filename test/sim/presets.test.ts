import test from 'ava';
import { PRESET_NAMES, presetFor, drawParams } from '../../agent/sim/presets.js';
import { render } from '../../agent/sim/render.js';
import { createRng } from '../../agent/sim/rng.js';
import { params } from './helpers.js';
import { existsSync } from 'node:fs';
import { defaultBackgroundDir } from '../../agent/sim/realbg.js';

// real-background needs ../shared/data/backgrounds (absent in a fresh clone; test/sim/realbg.test.ts covers it).
const RENDERABLE = PRESET_NAMES.filter((n) => n !== 'real-background' || existsSync(defaultBackgroundDir()));

test('the presets the interface promises exist; --focus picks the steel preset', (t) => {
  for (const name of ['steel-under', 'steel-over', 'he-bubbles', 'he-bubbles-over', 'steel-faceted', 'sparse-faceted', 'steel-faint', 'real-background', 'fe-insitu', 'ood-empty', 'ood-defocus', 'ood-lowdose', 'ood-texture']) t.true(PRESET_NAMES.includes(name), name);
  t.is(presetFor(undefined, 'over'), 'steel-over');
  t.is(presetFor(undefined, 'under'), 'steel-under');
  t.is(presetFor('he-bubbles', 'over'), 'he-bubbles');
  t.throws(() => drawParams('nope', createRng(1), 64), { message: /unknown preset "nope"/ });
});

test('every preset renders finite images; out-of-domain presets behave as named', (t) => {
  const visibleFraction: Record<string, number> = {};
  for (const name of RENDERABLE) {
    let vis = 0, tot = 0;
    for (let s = 0; s < 3; s++) {
      const r = render(params(name, 50 + s, 128), 50 + s);
      t.true(r.image.every(Number.isFinite), name);
      t.is(r.metadata.preset, name);
      vis += r.labels.filter((l) => l.visible).length;
      tot += r.labels.length;
      if (name === 'ood-empty' || name === 'ood-texture') t.is(r.labels.length, 0, name);
      if (name === 'steel-under' || name === 'he-bubbles') t.true(r.metadata.defocus_nm < 0);
      if (name === 'steel-over' || name === 'he-bubbles-over') t.true(r.metadata.defocus_nm > 0);
      if (name === 'he-bubbles-over') t.true(r.metadata.pixel_size_nm <= 0.28);
      if (name === 'ood-defocus') t.true(Math.abs(r.metadata.defocus_nm) >= 2500 && r.metadata.astig_nm >= 300);
      if (name === 'ood-lowdose') t.true(r.metadata.dose <= 2);
      if (name === 'fe-insitu') t.is(r.metadata.kV, 300);
      if (name === 'steel-faceted') t.true(r.metadata.pixel_size_nm >= 0.5 && r.metadata.pixel_size_nm <= 3);
      if (name === 'steel-faint') t.true(r.metadata.pixel_size_nm >= 0.1 && r.metadata.pixel_size_nm <= 0.7);
    }
    visibleFraction[name] = tot ? vis / tot : 0;
  }
  t.true(visibleFraction['ood-lowdose']! < visibleFraction['steel-under']!, JSON.stringify(visibleFraction));
});

test('steel-faint: faint cavities in strong mottle — the same specimens with the mottle and distractors removed have more visible cavities', (t) => {
  let strong = 0, calm = 0;
  for (let s = 0; s < 4; s++) {
    const p = params('steel-faint', 400 + s, 256);
    p.cavities.densityPerUm2 *= 8; // enough cavities in a 256² frame to count
    strong += render(p, 400 + s).labels.filter((l) => l.visible).length;
    const q = { ...p, background: { ...p.background, mottle: 0, bendContours: 0 }, distractors: { ...p.distractors, specksPerUm2: 0, loopsPerUm2: 0, dislocationsPerUm2: 0, precipitatesPerUm2: 0 } };
    calm += render(q, 400 + s).labels.filter((l) => l.visible).length;
  }
  t.true(strong < calm, `visible in strong mottle ${strong}, on a calm foil ${calm}`);
});

test('steel-faceted: both focus signs, faceted voids from a few px to hundreds of px', (t) => {
  const signs = new Set<number>();
  let largest = 0, smallest = Infinity;
  for (let s = 0; s < 12; s++) {
    const p = params('steel-faceted', 300 + s, 512);
    signs.add(Math.sign(p.optics.defocusNm));
    t.true(p.pixelNm >= 0.5 && p.pixelNm <= 3 && p.cavities.voids !== undefined);
    largest = Math.max(largest, p.cavities.voids!.maxPx);
    smallest = Math.min(smallest, p.cavities.voids!.minPx);
  }
  t.deepEqual([...signs].sort(), [-1, 1]);
  t.true(largest >= 300 && smallest <= 3, `${smallest}..${largest} px`);
});

test('sparse-faceted: at most eight voids per frame, none small', (t) => {
  const counts: number[] = [];
  let smallest = Infinity;
  for (let s = 0; s < 8; s++) {
    const r = render(params('sparse-faceted', 700 + s, 256), 700 + s);
    counts.push(r.labels.length);
    for (const l of r.labels) smallest = Math.min(smallest, Math.max(l.bbox[2], l.bbox[3]));
  }
  t.true(counts.every((n) => n <= 8) && counts.filter((n) => n >= 1).length >= 6, counts.join(',')); // a void may fall off a small frame
  t.true(smallest >= 10, `smallest void ${smallest.toFixed(1)} px`);
});
