/** Shared builders for the simulator tests (not a test file: ava only runs *.test.ts). */
import { drawParams, type SimParams } from '../../agent/sim/presets.js';
import { createRng } from '../../agent/sim/rng.js';

/** A preset's parameters for seed `seed` at `size` pixels. */
export function params(preset: string, seed: number, size: number): SimParams {
  return drawParams(preset, createRng(seed), size);
}

/** A featureless foil: no cavities, no distractors, no mottle, uniform thickness. */
export function flatParams(size: number, dose: number): SimParams {
  const p = params('steel-under', 1, size);
  p.doseEPerA2 = dose;
  p.amorphousRad = 0;
  p.cavities.densityPerUm2 = 0;
  p.distractors = { precipitatesPerUm2: 0, precipitateDiameterNm: [1, 1], loopsPerUm2: 0, loopDiameterNm: [1, 1], dislocationsPerUm2: 0, specksPerUm2: 0 };
  p.background = { ...p.background, wedge: 0, mottle: 0, bendContours: 0 };
  return p;
}
