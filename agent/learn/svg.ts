/**
 * Just enough SVG plotting for the evaluation report (scatter, lines, heat map) so the
 * figures need no plotting library and open in any browser or in the GitHub file view.
 */

export interface Series {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: string;
  kind?: 'points' | 'line';
}

export interface PlotOptions {
  title: string;
  xlabel: string;
  ylabel: string;
  xlim?: [number, number];
  ylim?: [number, number];
  width?: number;
  height?: number;
  /** Draw y = x (parity plots). */
  diagonal?: boolean;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Tick label with enough decimals to tell ticks `step` apart. */
const fmt = (v: number, step: number): string => {
  const st = Math.abs(step) || 1;
  return v.toFixed(Math.min(6, Math.max(0, Math.ceil(-Math.log10(st))) + (st >= 1 ? 1 : 0)));
};

function extent(series: readonly Series[], key: 'x' | 'y'): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (const s of series) for (let i = 0; i < s[key].length; i++) { const v = s[key][i]!; if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
  if (!Number.isFinite(lo)) return [0, 1];
  return lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi];
}

export function plot(series: readonly Series[], o: PlotOptions): string {
  const W = o.width ?? 540, H = o.height ?? 420, L = 78, R = 130, T = 36, B = 50;
  const [x0, x1] = o.xlim ?? extent(series, 'x');
  const [y0, y1] = o.ylim ?? extent(series, 'y');
  const sx = (v: number): number => L + ((v - x0) / (x1 - x0)) * (W - L - R);
  const sy = (v: number): number => H - B - ((v - y0) / (y1 - y0)) * (H - T - B);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="white"/>`];
  parts.push(`<text x="${W / 2 - R / 2}" y="20" text-anchor="middle" font-size="14">${esc(o.title)}</text>`);
  for (let k = 0; k <= 5; k++) {
    const xs = (x1 - x0) / 5, ys = (y1 - y0) / 5;
    const xv = x0 + xs * k, yv = y0 + ys * k;
    parts.push(`<line x1="${sx(xv)}" y1="${T}" x2="${sx(xv)}" y2="${H - B}" stroke="#eee"/><text x="${sx(xv)}" y="${H - B + 16}" text-anchor="middle">${fmt(xv, xs)}</text>`);
    parts.push(`<line x1="${L}" y1="${sy(yv)}" x2="${W - R}" y2="${sy(yv)}" stroke="#eee"/><text x="${L - 6}" y="${sy(yv) + 4}" text-anchor="end">${fmt(yv, ys)}</text>`);
  }
  parts.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${esc(o.xlabel)}</text>`);
  parts.push(`<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(o.ylabel)}</text>`);
  if (o.diagonal) parts.push(`<line x1="${sx(Math.max(x0, y0))}" y1="${sy(Math.max(x0, y0))}" x2="${sx(Math.min(x1, y1))}" y2="${sy(Math.min(x1, y1))}" stroke="#888" stroke-dasharray="4 3"/>`);
  series.forEach((s, k) => {
    const c = s.color ?? PALETTE[k % PALETTE.length]!;
    if (s.kind === 'line') {
      const pts: string[] = [];
      for (let i = 0; i < s.x.length; i++) if (Number.isFinite(s.y[i]!)) pts.push(`${sx(s.x[i]!).toFixed(1)},${sy(s.y[i]!).toFixed(1)}`);
      parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${c}" stroke-width="2"/>`);
      for (const p of pts) { const [px, py] = p.split(','); parts.push(`<circle cx="${px}" cy="${py}" r="2.5" fill="${c}"/>`); }
    } else {
      for (let i = 0; i < s.x.length; i++) parts.push(`<circle cx="${sx(s.x[i]!).toFixed(1)}" cy="${sy(s.y[i]!).toFixed(1)}" r="2.2" fill="${c}" fill-opacity="0.45"/>`);
    }
    parts.push(`<rect x="${W - R + 10}" y="${T + 4 + 18 * k}" width="10" height="10" fill="${c}"/><text x="${W - R + 24}" y="${T + 13 + 18 * k}">${esc(s.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** A labelled matrix of counts (rows: true bin, columns: predicted bin). */
export function heatmap(matrix: number[][], rowLabels: string[], colLabels: string[], o: { title: string; xlabel: string; ylabel: string }): string {
  const cell = 56, L = 90, T = 40, n = rowLabels.length, m = colLabels.length;
  const W = L + m * cell + 20, H = T + n * cell + 50;
  const max = Math.max(1, ...matrix.flat());
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(o.title)}</text>`];
  matrix.forEach((row, i) => row.forEach((v, j) => {
    const shade = Math.round(255 - (200 * v) / max);
    parts.push(`<rect x="${L + j * cell}" y="${T + i * cell}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)" stroke="#fff"/>`);
    parts.push(`<text x="${L + j * cell + cell / 2}" y="${T + i * cell + cell / 2 + 4}" text-anchor="middle">${v}</text>`);
  }));
  rowLabels.forEach((l, i) => parts.push(`<text x="${L - 6}" y="${T + i * cell + cell / 2 + 4}" text-anchor="end">${esc(l)}</text>`));
  colLabels.forEach((l, j) => parts.push(`<text x="${L + j * cell + cell / 2}" y="${T + n * cell + 16}" text-anchor="middle">${esc(l)}</text>`));
  parts.push(`<text x="${L + (m * cell) / 2}" y="${H - 8}" text-anchor="middle">${esc(o.xlabel)}</text>`);
  parts.push(`<text transform="translate(14 ${T + (n * cell) / 2}) rotate(-90)" text-anchor="middle">${esc(o.ylabel)}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}
