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

/** Point-in-polygon (even-odd rule). */
export function inside(poly: number[], x: number, y: number): boolean {
  let c = false;
  for (let i = 0, j = poly.length - 2; i < poly.length; j = i, i += 2) {
    const xi = poly[i]!, yi = poly[i + 1]!, xj = poly[j]!, yj = poly[j + 1]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
}
