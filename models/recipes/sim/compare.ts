/**
 * Side-by-side comparison of simulated and real TEM cavity images (docs/sim/).
 *
 *   npx tsx models/recipes/sim/compare.ts [--real ../shared/data/tem] [--real-666 ../shared/data/tem-unlabelled]
 *                                         [--out docs/sim] [--per-preset 6] [--seed 1000]
 *
 * real-666: the 666²/667² images of the unlabelled set (the faceted-void micrographs), a second
 * real group to judge steel-faceted by. real-background runs only when its backgrounds exist.
 * Writes contact-sheet.png (native-resolution 256² centre crops: real images in the top
 * rows, simulated in the bottom rows), raps.svg (radially averaged power spectra, cycles per
 * pixel), histograms.svg (8-bit intensity histograms) and stats.md (the tables). The real
 * images are read in place and never copied into the repository.
 */
import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, extname } from 'node:path';
import sharp from 'sharp';
import { parseFlags } from '../../../agent/commands/command.js';
import { render, to8bit } from '../../../agent/sim/render.js';
import { drawParams } from '../../../agent/sim/presets.js';
import { createBackgroundStore, defaultBackgroundDir } from '../../../agent/sim/realbg.js';
import { createRng } from '../../../agent/sim/rng.js';

import { centreCrop, histogram8, radialPowerSpectrum, spectralSlope, type Raps, type Moments } from '../../../agent/sim/stats.js';

/** The real groups (not the real-background preset, whose name also starts with "real"). */
const isReal = (group: string): boolean => group === 'real' || group === 'real-666';

interface Sample { name: string; group: string; w: number; h: number; px: Uint8Array; pixelNm: number | null }

const HAVE_BACKGROUNDS = existsSync(defaultBackgroundDir());
const PRESETS = ['steel-under', 'steel-over', 'he-bubbles', 'he-bubbles-over', 'fe-insitu', 'steel-faceted', 'steel-faint', ...(HAVE_BACKGROUNDS ? ['real-background'] : [])];
const CROP = 512;

async function readCsv(dir: string): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  const p = join(dir, 'nm_per_pixel.csv');
  if (!existsSync(p)) return m;
  for (const line of (await readFile(p, 'utf8')).trim().split('\n').slice(1)) {
    const [name, nm] = line.split(',');
    if (name && nm) m.set(name, Number(nm));
  }
  return m;
}

async function loadReal(dir: string, group = 'real', keep: (w: number, h: number) => boolean = () => true): Promise<Sample[]> {
  const nm = await readCsv(dir);
  const out: Sample[] = [];
  for (const f of (await readdir(dir)).sort()) {
    if (!['.png', '.jpg', '.jpeg', '.tif'].includes(extname(f).toLowerCase())) continue;
    const meta = await sharp(join(dir, f)).metadata();
    if (!keep(meta.width ?? 0, meta.height ?? 0)) continue;
    const { data, info } = await sharp(join(dir, f)).greyscale().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.width < CROP || info.height < CROP) continue;
    const px = new Uint8Array(info.width * info.height);
    for (let i = 0; i < px.length; i++) px[i] = data[i * info.channels]!;
    out.push({ name: f, group, w: info.width, h: info.height, px, pixelNm: nm.get(f) ?? null });
  }
  return out;
}

function simulate(perPreset: number, seed: number): Sample[] {
  const out: Sample[] = [];
  const env = HAVE_BACKGROUNDS ? { backgrounds: createBackgroundStore() } : {};
  for (const preset of PRESETS) {
    for (let i = 0; i < perPreset; i++) {
      const s = seed + i;
      const p = drawParams(preset, createRng(s), CROP);
      const r = render(p, s, env);
      out.push({ name: `${preset} seed ${s}`, group: preset, w: r.width, h: r.height, px: to8bit(r), pixelNm: p.pixelNm });
    }
  }
  return out;
}

interface GroupStats { group: string; n: number; raps: Raps; slopeLow: number; slopeHigh: number; hist: number[]; moments: Moments }

function groupStats(group: string, samples: Sample[]): GroupStats {
  const rapsList = samples.map((s) => radialPowerSpectrum(centreCrop(s.px, s.w, s.h, CROP), CROP));
  const raps: Raps = { freq: rapsList[0]!.freq, power: rapsList[0]!.freq.map((_, b) => rapsList.reduce((a, r) => a + r.power[b]!, 0) / rapsList.length) };
  const hists = samples.map((s) => histogram8(centreCrop(s.px, s.w, s.h, CROP)));
  const hist = hists[0]!.hist.map((_, v) => hists.reduce((a, h) => a + h.hist[v]!, 0) / hists.length);
  const avg = (k: keyof Moments): number => hists.reduce((a, h) => a + h.moments[k], 0) / hists.length;
  const moments: Moments = { mean: avg('mean'), sd: avg('sd'), skew: avg('skew'), kurtosis: avg('kurtosis'), p1: avg('p1'), p99: avg('p99') };
  return { group, n: samples.length, raps, slopeLow: spectralSlope(raps, 0.004, 0.05), slopeHigh: spectralSlope(raps, 0.1, 0.5), hist, moments };
}

function svgPlot(title: string, xLabel: string, yLabel: string, series: { name: string; xs: number[]; ys: number[]; colour: string; dash?: boolean }[], logX: boolean, logY: boolean): string {
  const W = 720, H = 440, L = 70, R = 170, T = 40, B = 50;
  const tx = (v: number): number => (logX ? Math.log10(v) : v), ty = (v: number): number => (logY ? Math.log10(Math.max(v, 1e-12)) : v);
  const all = series.flatMap((s) => s.xs.map((x, i) => [tx(x), ty(s.ys[i]!)] as const)).filter(([, y]) => Number.isFinite(y));
  const x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  const y0 = Math.min(...all.map((p) => p[1])), y1 = Math.max(...all.map((p) => p[1]));
  const sx = (v: number): number => L + ((tx(v) - x0) / (x1 - x0 || 1)) * (W - L - R);
  const sy = (v: number): number => H - B - ((ty(v) - y0) / (y1 - y0 || 1)) * (H - T - B);
  const lines = series.map((s, k) => {
    const d = s.xs.map((x, i) => `${i ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(s.ys[i]!).toFixed(1)}`).join(' ');
    return `<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="${s.dash ? 1.6 : 3}"${s.dash ? ' stroke-dasharray="5,3"' : ''}/>` +
      `<text x="${W - R + 10}" y="${T + 18 * k + 10}" font-size="12" fill="${s.colour}">${s.name}</text>`;
  }).join('\n');
  const ticks = (lo: number, hi: number, log: boolean, axis: 'x' | 'y'): string => {
    const out: string[] = [];
    for (let i = 0; i <= 4; i++) {
      const v = lo + ((hi - lo) * i) / 4;
      const label = log ? Number((10 ** v).toPrecision(2)).toString() : Number(v.toPrecision(3)).toString();
      if (axis === 'x') { const p = L + (i / 4) * (W - L - R); out.push(`<text x="${p}" y="${H - B + 18}" font-size="11" text-anchor="middle">${label}</text>`); }
      else { const p = H - B - (i / 4) * (H - T - B); out.push(`<text x="${L - 6}" y="${p + 4}" font-size="11" text-anchor="end">${label}</text>`); }
    }
    return out.join('');
  };
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${L}" y="24" font-size="15">${title}</text>
<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#999"/>
${ticks(x0, x1, logX, 'x')}${ticks(y0, y1, logY, 'y')}
<text x="${(L + W - R) / 2}" y="${H - 12}" font-size="12" text-anchor="middle">${xLabel}</text>
<text x="16" y="${(T + H - B) / 2}" font-size="12" transform="rotate(-90 16 ${(T + H - B) / 2})" text-anchor="middle">${yLabel}</text>
${lines}
</svg>\n`;
}

async function contactSheet(real: Sample[], sims: Sample[], path: string): Promise<void> {
  const tile = 256, cols = 4;
  const pick = (xs: Sample[], k: number): Sample[] => Array.from({ length: Math.min(k, xs.length) }, (_, i) => xs[Math.floor((i * xs.length) / Math.min(k, xs.length))]!);
  const realPick = [...pick(real.filter((r) => r.group === 'real'), 8), ...pick(real.filter((r) => r.group === 'real-666'), 4)];
  const simPick = PRESETS.flatMap((p) => sims.filter((s) => s.group === p).slice(0, 2));
  const tiles = [...realPick, ...simPick];
  const rows = Math.ceil(tiles.length / cols);
  const composites = await Promise.all(tiles.map(async (s, i) => {
    const crop = centreCrop(s.px, s.w, s.h, tile);
    const buf = await sharp(Buffer.from(Uint8Array.from(crop)), { raw: { width: tile, height: tile, channels: 1 } }).png().toBuffer();
    return { input: buf, left: (i % cols) * (tile + 4), top: Math.floor(i / cols) * (tile + 4) };
  }));
  await sharp({ create: { width: cols * (tile + 4) - 4, height: rows * (tile + 4) - 4, channels: 3, background: '#ffffff' } }).composite(composites).png().toFile(path);
  const legend = tiles.map((s, i) => `${i + 1}. ${isReal(s.group) ? 'REAL ' + s.name + (s.pixelNm ? ` (${s.pixelNm} nm/px)` : '') : 'SIM ' + s.name + ` (${s.pixelNm!.toFixed(3)} nm/px)`}`);
  await writeFile(path.replace(/\.png$/, '.txt'), `Tiles left to right, top to bottom (256x256 native-resolution centre crops):\n${legend.join('\n')}\n`);
}

async function main(): Promise<void> {
  const { flags } = parseFlags(process.argv.slice(2), ['real', 'real-666', 'out', 'per-preset', 'seed']);
  const realDir = typeof flags.real === 'string' ? flags.real : '../shared/data/tem';
  const dir666 = typeof flags['real-666'] === 'string' ? flags['real-666'] : '../shared/data/tem-unlabelled';
  const out = typeof flags.out === 'string' ? flags.out : 'docs/sim';
  const per = Number(typeof flags['per-preset'] === 'string' ? flags['per-preset'] : 6);
  const seed = Number(typeof flags.seed === 'string' ? flags.seed : 1000);
  if (!existsSync(realDir)) { process.stderr.write(`compare: real image directory ${realDir} not found\n`); process.exitCode = 1; return; }
  await mkdir(out, { recursive: true });
  const real = await loadReal(realDir);
  const real666 = existsSync(dir666) ? await loadReal(dir666, 'real-666', (w, h) => w >= 660 && w <= 670 && h >= 660 && h <= 670) : [];
  const sims = simulate(per, seed);
  const stats = [groupStats('real', real), ...(real666.length ? [groupStats('real-666', real666)] : []), ...PRESETS.map((p) => groupStats(p, sims.filter((s) => s.group === p)))];
  const colours = ['#000000', '#7f7f7f', '#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];
  await writeFile(join(out, 'raps.svg'), svgPlot('Radially averaged power spectrum (normalised, Hann, 512² centre crops)', 'spatial frequency (cycles/pixel)', 'power (variance-normalised)',
    stats.map((s, i) => ({ name: `${s.group} (n=${s.n})`, xs: s.raps.freq, ys: s.raps.power, colour: colours[i]!, dash: !isReal(s.group) })), true, true));
  const vs = Array.from({ length: 256 }, (_, v) => v);
  await writeFile(join(out, 'histograms.svg'), svgPlot('8-bit intensity histograms (512² centre crops, averaged)', 'grey value', 'fraction of pixels',
    stats.map((s, i) => ({ name: `${s.group} (n=${s.n})`, xs: vs, ys: s.hist, colour: colours[i]!, dash: !isReal(s.group) })), false, false));
  await contactSheet([...real, ...real666], sims, join(out, 'contact-sheet.png'));
  const f = (x: number, d = 2): string => x.toFixed(d);
  const bands = [[0.002, 0.01], [0.01, 0.05], [0.05, 0.15], [0.15, 0.5]] as const;
  const band = (r: Raps, lo: number, hi: number): number => { let s = 0; r.freq.forEach((fr, i) => { if (fr >= lo && fr < hi) s += r.power[i]!; }); return s; };
  // RMS over the spectrum's bins of log10(P_group / P_reference): 0 = the same shape; 0.3 ≈ a factor 2 on average.
  const dist = (a: Raps, b: Raps): number => Math.sqrt(a.power.reduce((acc, v, i) => acc + Math.log10(Math.max(v, 1e-12) / Math.max(b.power[i]!, 1e-12)) ** 2, 0) / a.power.length);
  const ref = stats[0]!, ref666 = stats.find((x) => x.group === 'real-666');
  const lines = [
    '# Simulated vs real: measured statistics (generated)',
    '',
    `Command: \`npx tsx models/recipes/sim/compare.ts --real ${realDir} --real-666 ${dir666} --out ${out} --per-preset ${per} --seed ${seed}\``,
    `Real: ${real.length} images of ${realDir}${real666.length ? ` and ${real666.length} 666²/667² images of ${dir666} (real-666)` : ''} (512² centre crops, 8-bit as stored). Simulated: ${per} images per preset at 512², seeds ${seed}..${seed + per - 1}, 8-bit as \`simulate\` writes them.`,
    '',
    '## Intensity histograms (mean over images)',
    '',
    '| group | n | mean | sd | skew | excess kurtosis | p1 | p99 |',
    '|---|---|---|---|---|---|---|---|',
    ...stats.map((s) => `| ${s.group} | ${s.n} | ${f(s.moments.mean, 1)} | ${f(s.moments.sd, 1)} | ${f(s.moments.skew)} | ${f(s.moments.kurtosis)} | ${f(s.moments.p1, 0)} | ${f(s.moments.p99, 0)} |`),
    '',
    '## Radially averaged power spectrum',
    '',
    'Slopes of log10 P against log10 f (low: 0.004–0.05 cycles/px, mottle and objects; high: 0.1–0.5, noise and MTF),',
    'and the share of (normalised) power in frequency bands (summed over log-spaced bins).',
    '',
    'The last columns: RMS over the bins of log10(P / P_real) (0 = the same spectral shape; 0.3 = a factor 2 on average), against',
    'the 27 real images and against the 666² faceted-void micrographs (real-666).',
    '',
    '| group | slope low | slope high | 0.002–0.01 | 0.01–0.05 | 0.05–0.15 | 0.15–0.5 | RAPS dist. real | RAPS dist. real-666 |',
    '|---|---|---|---|---|---|---|---|---|',
    ...stats.map((s) => `| ${s.group} | ${f(s.slopeLow)} | ${f(s.slopeHigh)} | ${bands.map(([lo, hi]) => f(band(s.raps, lo, hi), 4)).join(' | ')} | ${f(dist(s.raps, ref.raps), 3)} | ${ref666 ? f(dist(s.raps, ref666.raps), 3) : '–'} |`),
    '',
    '## Per image',
    '',
    '| image | nm/px | mean | sd | skew | slope low | slope high |',
    '|---|---|---|---|---|---|---|',
    ...[...real, ...real666, ...sims].map((s) => { const g = groupStats('x', [s]); return `| ${isReal(s.group) ? s.name : 'SIM ' + s.name} | ${s.pixelNm === null ? '?' : Number(s.pixelNm.toFixed(3))} | ${f(g.moments.mean, 1)} | ${f(g.moments.sd, 1)} | ${f(g.moments.skew)} | ${f(g.slopeLow)} | ${f(g.slopeHigh)} |`; }),
    '',
  ];
  await writeFile(join(out, 'stats.md'), lines.join('\n'));
  process.stdout.write(lines.slice(0, 30).join('\n') + '\n');
}

main().catch((err) => { process.stderr.write(`compare: ${err instanceof Error ? err.message : String(err)}\n`); process.exitCode = 1; });
