import test from 'ava';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diameterPx, imageStatistics } from '../../agent/stats/image-stats.js';
import { sizeHistogram } from '../../agent/stats/histogram.js';
import { SessionStatistics } from '../../agent/stats/session.js';
import { createThicknessSource } from '../../agent/stats/thickness.js';
import { writeManifest } from '../../agent/stats/manifest.js';
import type { Detection, Frame } from '../../agent/types.js';

/** A digital disc: pixels whose centres lie within r of (cx, cy). */
function disc(cx: number, cy: number, r: number, score = 0.9): Detection {
  const x0 = Math.floor(cx - r - 1), y0 = Math.floor(cy - r - 1), w = Math.ceil(2 * r + 3);
  const data = new Uint8Array(w * w);
  for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) if (Math.hypot(x0 + x + 0.5 - cx, y0 + y + 0.5 - cy) <= r) data[y * w + x] = 1;
  return { box: [x0, y0, x0 + w, y0 + w], score, label: 0, mask: { x0, y0, width: w, height: w, data } };
}

function frame(pixelNm: number | null, size = 400): Frame {
  return { width: size, height: size, data: new Float32Array(size * size), dtype: 'uint8', min: 0, max: 255, mean: 128, pixelSize: pixelNm ? { x: pixelNm, y: pixelNm, unit: 'nm' } : null, format: 'png' };
}

test('per image: density, size, circularity and swelling by the script definitions', (t) => {
  const dets = [disc(50, 50, 10), disc(150, 150, 10), disc(250, 80, 20), disc(300, 300, 20)];
  const s = imageStatistics(dets, frame(0.5), { nm: 100, source: 'config' });
  const area = (400 * 0.5) ** 2;
  t.is(s.density_per_nm2, Number((4 / area).toPrecision(5)));
  // The hull of pixel positions of a radius-r disc spans about 2r - 1 px.
  const d10 = diameterPx(dets[0]!), d20 = diameterPx(dets[2]!);
  t.true(Math.abs(d10 - 19) < 1, `${d10}`);
  t.true(Math.abs(d20 - 39) < 1, `${d20}`);
  const mean = ((d10 + d20) / 2) * 0.5;
  t.true(Math.abs(s.mean_diameter_nm! - mean) < 1e-3);
  t.true(Math.abs(s.std_diameter_nm! - ((d20 - d10) / 2) * 0.5) < 1e-3);
  t.true(s.mean_circularity! >= 1 && s.mean_circularity! < 1.1);
  const v = 2 * (Math.PI / 6) * (d10 * 0.5) ** 3 + 2 * (Math.PI / 6) * (d20 * 0.5) ** 3;
  t.true(Math.abs(s.swelling_percent! - 100 * v / (area * 100 - v)) < 1e-3 * s.swelling_percent!);
  t.is(s.thickness_source, 'config');
  t.deepEqual(s.size_histogram!.counts.reduce((a, b) => a + b, 0), 4);
  t.is(s.reason, undefined);
});

test('per image: no pixel size or no thickness gives null with the reason', (t) => {
  const noPx = imageStatistics([disc(50, 50, 10)], frame(null), { nm: 80 });
  t.like(noPx, { density_per_nm2: null, mean_diameter_nm: null, swelling_percent: null, count: 1 });
  t.regex(noPx.reason!, /pixel size/);
  const noT = imageStatistics([disc(50, 50, 10)], frame(0.5), { nm: null });
  t.not(noT.density_per_nm2, null);
  t.is(noT.swelling_percent, null);
  t.regex(noT.reason!, /thickness/);
  const bad = imageStatistics([disc(50, 50, 10)], frame(0.5), { nm: null, problem: 'x/temguard.json: thickness_nm must be a positive number of nm, got "a"' });
  t.regex(bad.reason!, /temguard\.json/);
});

test('size histogram: √2 bins from 0.5 nm, outliers in the end bins', (t) => {
  const h = sizeHistogram([0.1, 0.6, 3, 3.9, 1000]);
  t.is(h.edges_nm.length, h.counts.length + 1);
  t.is(h.counts[0], 2);
  t.is(h.counts[h.counts.length - 1], 1);
  t.is(h.counts[h.edges_nm.indexOf(2.828)], 2);
});

test('session: only images predicted reliable count; pooled values with bootstrap intervals', (t) => {
  const s = new SessionStatistics(new Date('2026-01-01T00:00:00Z'));
  const f = frame(0.5);
  // Trusted images with 2, 4, 6 cavities of radius 10 px; one low-F1 image full of huge ones; one without pixel size.
  for (const [i, n] of [2, 4, 6].entries()) {
    const dets = Array.from({ length: n }, (_, k) => disc(30 + k * 60, 30 + i * 100, 10));
    s.observe({ image: `ok${i}.png`, sha256: `h${i}`, f1: 0.8, threshold: 0.5, defocus_um: -1, stats: imageStatistics(dets, f, { nm: 100 }) });
  }
  s.observe({ image: 'low.png', sha256: 'l', f1: 0.3, threshold: 0.5, defocus_um: -2.5, stats: imageStatistics([disc(200, 200, 60)], f, { nm: 100 }) });
  s.observe({ image: 'nopx.png', sha256: 'n', f1: 0.9, threshold: 0.5, defocus_um: null, stats: imageStatistics([disc(200, 200, 10)], frame(null), { nm: 100 }) });
  const sum = s.summary();
  t.like(sum, { images: 5, trusted: 3, untrusted: { low_f1: 1, no_pixel_size: 1 }, detections: 12 });
  const area = (400 * 0.5) ** 2;
  t.is(sum.statistics.density_per_nm2.value, Number((12 / (3 * area)).toPrecision(5)));
  const d = sum.statistics.density_per_nm2;
  t.true(d.lo! <= d.value! && d.value! <= d.hi!);
  t.true(d.lo! < d.hi!, 'images differ in density, so the interval has width');
  // All trusted cavities have one size: the mean is that size, the interval degenerate.
  t.true(Math.abs(sum.statistics.mean_diameter_nm.value! - diameterPx(disc(30, 30, 10)) * 0.5) < 1e-3);
  t.true(sum.statistics.std_diameter_nm.value! < 1e-2);
  t.is(sum.statistics.swelling_images, 3);
  t.is(sum.size_histogram.counts.reduce((a, b) => a + b, 0), 12);
  t.is(s.entries.find((e) => e.image === 'low.png')!.why, 'predicted F1 0.300 < 0.5');
});

test('thickness: the sidecar beside the images wins over the config, is re-read when changed, and a bad one says why', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tg-thick-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const src = createThicknessSource(120);
  t.deepEqual(src.thicknessFor(join(dir, 'a.png')), { nm: 120, source: 'config' });
  t.deepEqual(createThicknessSource(null).thicknessFor(join(dir, 'a.png')), { nm: null });
  const side = join(dir, 'temguard.json');
  await writeFile(side, JSON.stringify({ thickness_nm: 85 }));
  t.deepEqual(src.thicknessFor(join(dir, 'a.png')), { nm: 85, source: side });
  await writeFile(side, '{"thickness_nm": "thick"}');
  await utimes(side, new Date(), new Date(Date.now() + 5000));
  const bad = src.thicknessFor(join(dir, 'b.png'));
  t.is(bad.nm, null);
  t.regex(bad.problem!, /thickness_nm must be a positive number/);
  await writeFile(side, '{not json');
  await utimes(side, new Date(), new Date(Date.now() + 10000));
  t.regex(src.thicknessFor(join(dir, 'b.png')).problem!, /not readable JSON/);
});

test('manifest: CSV and JSON in the state dir, names with commas and quotes survive', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tg-manifest-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const s = new SessionStatistics(new Date('2026-01-01T00:00:00Z'));
  s.observe({ image: 'run 1, "best".png', sha256: 'abc', f1: 0.7, threshold: 0.5, defocus_um: -1.2, stats: imageStatistics([disc(50, 50, 10)], frame(0.5), { nm: 90 }) });
  s.observe({ image: 'low.png', sha256: 'def', f1: 0.2, threshold: 0.5, defocus_um: null, stats: imageStatistics([], frame(0.5), { nm: null }) });
  const paths = await writeManifest(dir, s.entries, s.summary(), new Date('2026-01-01T01:00:00Z'));
  const csv = (await readFile(paths.csv, 'utf8')).trim().split('\n');
  t.is(csv.length, 3);
  t.true(csv[0]!.startsWith('image,sha256,predicted_f1,threshold,trusted,why,'));
  t.true(csv[1]!.startsWith('"run 1, ""best"".png",abc,0.7,0.5,true,'));
  t.true(csv[2]!.includes(',false,predicted F1 0.200 < 0.5,0,'));
  const json = JSON.parse(await readFile(paths.json, 'utf8'));
  t.is(json.images.length, 2);
  t.is(json.summary.trusted, 1);
  t.is(json.written, '2026-01-01T01:00:00.000Z');
});

test('session: a long run keeps the latest maxImages, says how many left the window', (t) => {
  const s = new SessionStatistics(new Date(0), { resamples: 50, level: 0.95, seed: 1, maxImages: 3 });
  const f = frame(0.5);
  for (let i = 0; i < 5; i++) s.observe({ image: `${i}.png`, sha256: String(i), f1: 0.9, threshold: 0.5, defocus_um: null, stats: imageStatistics([disc(50, 50, 5 + i)], f, { nm: null }) });
  const sum = s.summary();
  t.like(sum, { images: 3, dropped: 2, trusted: 3 });
  t.deepEqual(s.entries.map((e) => e.image), ['2.png', '3.png', '4.png']);
  t.is(sum.statistics.swelling_percent.value, null, 'no thickness anywhere: no swelling');
  t.is(sum.statistics.swelling_images, 0);
});
