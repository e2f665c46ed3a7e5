/**
 * What the image itself says beside the forest's F1: its defocus (defocus.ts) and the numbers a
 * microscopist reports (stats/image-stats.ts). Neither may cost the image its result: a failure
 * here becomes a null with the reason, and the detection and prediction are published as usual.
 */
import type { Detection, Frame } from '../types.js';
import { createDefocusEstimator, type DefocusEstimate, type DefocusEstimator } from './defocus.js';
import { imageStatistics, type ImageStatistics } from '../stats/image-stats.js';
import { createThicknessSource, type ThicknessSource } from '../stats/thickness.js';

export interface PhysicsDeps {
  defocus: DefocusEstimator;
  thickness: ThicknessSource;
}

export interface PhysicsResult {
  defocus: DefocusEstimate | { defocus_um: null; defocus_sigma_um: null; method: 'fresnel_fringe'; reason: 'failed'; detail: string };
  statistics: ImageStatistics | { reason: string };
}

/** The agent's physics: one estimator (its model-profile cache lives as long as the agent) and the thickness lookup. */
export function createPhysics(thicknessNm: number): PhysicsDeps {
  return { defocus: createDefocusEstimator(), thickness: createThicknessSource(thicknessNm > 0 ? thicknessNm : null) };
}

export function measureImage(path: string, frame: Frame, detections: readonly Detection[], deps: PhysicsDeps): PhysicsResult {
  let defocus: PhysicsResult['defocus'];
  try { defocus = deps.defocus.estimate(frame, detections); }
  catch (err) { defocus = { defocus_um: null, defocus_sigma_um: null, method: 'fresnel_fringe', reason: 'failed', detail: (err as Error).message }; }
  let statistics: PhysicsResult['statistics'];
  try { statistics = imageStatistics(detections, frame, deps.thickness.thicknessFor(path)); }
  catch (err) { statistics = { reason: `statistics failed: ${(err as Error).message}` }; }
  return { defocus, statistics };
}
