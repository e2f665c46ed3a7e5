/**
 * The dataset table, one CSV row per labelled image: `image`, `group`, the 18 features under
 * their paper-method.md names, optional extra numeric feature columns (image-quality
 * features beyond the paper), then `f1`, `precision`, `recall`. Plain RFC 4180 CSV so
 * pandas, scikit-learn (models/recipes/forest/sklearn_reference.py) and a spreadsheet read it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { FEATURE_NAMES } from '../types.js';
import type { Row } from './train.js';

export class TableError extends Error {
  override name = 'TableError';
}

const TARGET_COLUMNS = ['f1', 'precision', 'recall'] as const;

/** Column order for rows that carry these extra feature names besides the 18. */
export function columnsFor(extra: readonly string[] = []): string[] {
  return ['image', 'group', ...FEATURE_NAMES, ...extra, ...TARGET_COLUMNS];
}

/** One CSV field, quoted where it holds a comma, a quote or a line break (image names do). */
export function quoteCsv(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatTable(rows: readonly Row[], extra: readonly string[] = []): string {
  const cols = columnsFor(extra);
  const lines = [cols.join(',')];
  for (const r of rows) {
    lines.push(cols.map((c) => {
      if (c === 'image') return quoteCsv(r.image);
      if (c === 'group') return quoteCsv(r.group);
      const v = c === 'f1' || c === 'precision' || c === 'recall' ? r[c] : r.features[c];
      return v === undefined ? '' : String(v);
    }).join(','));
  }
  return lines.join('\n') + '\n';
}

export async function writeTable(path: string, rows: readonly Row[], extra: readonly string[] = []): Promise<void> {
  await writeFile(path, formatTable(rows, extra));
}

/** Splits CSV text into records (quoted fields may hold commas, quotes and newlines). */
export function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field); out.push(row); row = []; field = '';
    } else field += c;
  }
  if (field !== '' || row.length) { row.push(field); out.push(row); }
  return out.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** Parses a table; every feature and target cell must be a finite number. */
export function parseTable(text: string, source = 'table'): { rows: Row[]; featureColumns: string[] } {
  const records = parseCsv(text);
  if (records.length === 0) throw new TableError(`${source} is empty`);
  const header = records[0]!;
  for (const need of ['image', 'group', ...TARGET_COLUMNS]) {
    if (!header.includes(need)) throw new TableError(`${source} has no "${need}" column`);
  }
  const featureColumns = header.filter((h) => !['image', 'group', ...TARGET_COLUMNS].includes(h));
  const rows = records.slice(1).map((rec, k) => {
    if (rec.length !== header.length) throw new TableError(`${source} line ${k + 2}: ${rec.length} fields, header has ${header.length}`);
    const num = (col: string): number => {
      const v = Number(rec[header.indexOf(col)]);
      if (rec[header.indexOf(col)] === '' || !Number.isFinite(v)) throw new TableError(`${source} line ${k + 2}: "${col}" is not a number ("${rec[header.indexOf(col)]}")`);
      return v;
    };
    const features: Record<string, number> = {};
    for (const c of featureColumns) features[c] = num(c);
    return { image: rec[header.indexOf('image')]!, group: rec[header.indexOf('group')]!, features, f1: num('f1'), precision: num('precision'), recall: num('recall') };
  });
  return { rows, featureColumns };
}

export async function readTable(path: string): Promise<{ rows: Row[]; featureColumns: string[] }> {
  let text: string;
  try { text = await readFile(path, 'utf8'); }
  catch (e) { throw new TableError(`cannot read table ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
  return parseTable(text, path);
}
