/**
 * The session manifest for downstream analysis: every image, whether it was trusted and why,
 * its numbers, and the session's statistics. Written to the state directory as
 * session-manifest.csv (one row per image, for a spreadsheet) and session-manifest.json (the
 * same rows plus the summary), atomically (temp file + rename), so a reader never sees half.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { quoteCsv } from '../learn/table.js';
import type { SessionEntry, SessionSummary } from './session.js';

export const MANIFEST_BASENAME = 'session-manifest';

const COLUMNS = ['image', 'sha256', 'predicted_f1', 'threshold', 'trusted', 'why', 'count', 'density_per_nm2', 'mean_diameter_nm', 'std_diameter_nm',
  'mean_circularity', 'std_circularity', 'swelling_percent', 'thickness_nm', 'defocus_um'] as const;

export function manifestCsv(entries: readonly SessionEntry[]): string {
  const rows = entries.map((e) => {
    const s = e.stats;
    const v: Record<(typeof COLUMNS)[number], unknown> = {
      image: e.image, sha256: e.sha256, predicted_f1: e.predicted_f1, threshold: e.threshold, trusted: e.trusted, why: e.why,
      count: s?.count, density_per_nm2: s?.density_per_nm2, mean_diameter_nm: s?.mean_diameter_nm, std_diameter_nm: s?.std_diameter_nm,
      mean_circularity: s?.mean_circularity, std_circularity: s?.std_circularity, swelling_percent: s?.swelling_percent, thickness_nm: s?.thickness_nm, defocus_um: e.defocus_um,
    };
    return COLUMNS.map((c) => csvField(v[c])).join(',');
  });
  return [COLUMNS.join(','), ...rows].join('\n') + '\n';
}

/** RFC 4180 (image names here have spaces and commas); an absent value is an empty field. */
function csvField(v: unknown): string {
  return v === null || v === undefined ? '' : quoteCsv(String(v));
}

export async function writeManifest(dir: string, entries: readonly SessionEntry[], summary: SessionSummary, now: Date): Promise<{ csv: string; json: string }> {
  const csv = join(dir, `${MANIFEST_BASENAME}.csv`);
  const json = join(dir, `${MANIFEST_BASENAME}.json`);
  await atomic(csv, manifestCsv(entries));
  await atomic(json, JSON.stringify({ written: now.toISOString(), summary, images: entries }, null, 1) + '\n');
  return { csv, json };
}

async function atomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}
