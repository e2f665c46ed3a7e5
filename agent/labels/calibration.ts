/**
 * Site calibration: once enough images are labelled, an isotonic map predicted -> realized
 * F1 fitted on them, with its measured effect (leave-one-out MAE on the site's own labels,
 * before and after). The map is applied only where it measured better than the raw
 * prediction, and every result says which (`prediction.calibration`).
 *
 * Reversible: `labels.calibrate: false` stops applying it (results stamp null); the fitted
 * map is also kept as `calibration.json` in the state directory for inspection, and
 * deleting it (agent stopped) drops the map until the next label refits it.
 */
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Prediction } from '../types.js';
import { feedbackFor } from './feedback.js';
import { applyIsotonic, fitIsotonic, leaveOneOutMae, type IsotonicMap } from './isotonic.js';
import type { LabelRecord } from './store.js';

export const CALIBRATION_FILE = 'calibration.json';

export interface CalibrationStamp {
  /** Labelled images the map was fitted on. */
  labels: number;
  /** Leave-one-out mean absolute error of F1 without / with the map. */
  mae_before: number;
  mae_after: number;
  /** Whether the map changes the published F1 (only when it measured better). */
  applied: boolean;
  /** The forest's own F1, where the map changed it. */
  raw_f1?: number;
}

export interface Calibration { map: IsotonicMap; stamp: CalibrationStamp }

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/** Fit on the labels when there are at least `after` of them; null before. */
export function fitCalibration(records: LabelRecord[], after: number): Calibration | null {
  if (records.length < Math.max(2, after)) return null;
  const xs = records.map((r) => r.predicted.f1);
  const ys = records.map((r) => feedbackFor(r, 0).realized.f1);
  const mae = leaveOneOutMae(xs, ys);
  return { map: fitIsotonic(xs, ys), stamp: { labels: records.length, mae_before: r4(mae.before), mae_after: r4(mae.after), applied: mae.after < mae.before } };
}

/** The prediction with the map applied (f1 and low; the interval is shifted with it), stamped. */
export function calibrate(p: Prediction, c: Calibration | null): Prediction & { calibration: CalibrationStamp | null } {
  if (!c) return { ...p, calibration: null };
  if (!c.stamp.applied) return { ...p, calibration: c.stamp };
  // Fitted on micrographs: an image unlike any keeps its lower bound (outsideImageDomain).
  if (p.point_f1 !== undefined) return { ...p, calibration: { ...c.stamp, applied: false } };
  const f1 = r4(applyIsotonic(c.map, p.f1));
  const shift = (v: number): number => r4(Math.min(1, Math.max(0, v + f1 - p.f1)));
  const interval = p.interval ? { ...p.interval, lo: shift(p.interval.lo), hi: shift(p.interval.hi) } : undefined;
  return { ...p, f1, low: f1 < p.threshold, ...(interval ? { interval } : {}), calibration: { ...c.stamp, raw_f1: p.f1 } };
}

export function saveCalibration(dir: string, c: Calibration | null): void {
  const path = join(dir, CALIBRATION_FILE);
  if (!c) { if (existsSync(path)) unlinkSync(path); return; }
  writeFileSync(`${path}.tmp`, JSON.stringify(c, null, 1));
  renameSync(`${path}.tmp`, path);
}

/** The saved map, or null (missing, or not of the right shape: then it is refitted on the next label). */
export function loadCalibration(dir: string): Calibration | null {
  const path = join(dir, CALIBRATION_FILE);
  if (!existsSync(path)) return null;
  try {
    const c = JSON.parse(readFileSync(path, 'utf8')) as Calibration;
    return Array.isArray(c.map?.x) && Array.isArray(c.map?.y) && c.map.x.length === c.map.y.length && c.map.x.length > 0 && typeof c.stamp?.labels === 'number' ? c : null;
  } catch { return null; }
}
