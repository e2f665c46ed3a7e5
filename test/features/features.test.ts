import test from 'ava';
import { computeFeatures, maskCircularity, ellipseCircularity } from '../../agent/pipeline/features.js';
import { createRng } from '../../agent/sim/rng.js';
import { FEATURE_NAMES, type Detection, type Mask } from '../../agent/types.js';

const close = (a: number, b: number, tol = 1e-9): boolean => Math.abs(a - b) <= tol;

function maskOf(rows: string[], x0 = 0, y0 = 0): Mask {
  const height = rows.length;
  const width = rows[0]!.length;
  const data = new Uint8Array(width * height);
  rows.forEach((r, y) => [...r].forEach((c, x) => { data[y * width + x] = c === '#' ? 1 : 0; }));
  return { x0, y0, width, height, data };
}

function disc(r: number): Mask {
  const size = 2 * r + 1;
  const data = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) data[y * size + x] = (x - r) ** 2 + (y - r) ** 2 <= r * r ? 1 : 0;
  return { x0: 0, y0: 0, width: size, height: size, data };
}

// Three detections worked out by hand (see the numbers in the comments) on a 100x100 image.
const full10 = maskOf(Array(10).fill('##########'));
const dets: Detection[] = [
  // area 100, square mask: hull perimeter 40 / (2 sqrt(100 pi)) = 1.128379
  { box: [0, 0, 10, 10], score: 0.95, label: 0, mask: full10 },
  // area 200, no mask: inscribed 10x20 ellipse, Ramanujan perimeter / (2 pi sqrt(50)) = 1.090330
  { box: [20, 20, 30, 40], score: 0.5, label: 0 },
  // area 16, L of 3 pixels: hull (0,0)(2,0)(2,1)(1,2)(0,2), perimeter 6 + sqrt 2, / (2 sqrt(3 pi)) = 1.207534
  { box: [50, 50, 54, 54], score: 0.1, label: 0, mask: maskOf(['##', '#.'], 50, 50) },
];

test('the 18 features of three hand-made detections', (t) => {
  const f = computeFeatures(dets, 100, 100);
  t.deepEqual(Object.keys(f).sort(), [...FEATURE_NAMES].sort());
  const expected: Record<string, number> = {
    'counts_0.1': 1 / 3, 'counts_0.2': 0, 'counts_0.3': 0, 'counts_0.4': 0, 'counts_0.5': 1 / 3,
    'counts_0.6': 0, 'counts_0.7': 0, 'counts_0.8': 0, 'counts_0.9': 1 / 3,
    area_ratio: 316 / 10000, // (100 + 200 + 16) / 10000
    avg_conf: 1.55 / 3, std_conf: 0.3472111109333276,
    avg_size: 0.0316 / 3, std_size: 0.0075212292139575756,
    avg_shape: 1.1420813576288393, std_shape: 0.048819445436739196,
    counts: 3,
    image_confidence: (100 * 0.95 + 200 * 0.5 + 16 * 0.1) / 316,
  };
  for (const [k, v] of Object.entries(expected)) t.true(close(f[k as keyof typeof f], v, 1e-9), `${k}: ${f[k as keyof typeof f]} vs ${v}`);
});

test('zero detections: every feature is 0', (t) => {
  const f = computeFeatures([], 512, 512);
  for (const k of FEATURE_NAMES) t.is(f[k], 0, k);
});

test('score bins follow numpy.digitize at the 0.1 edges', (t) => {
  const scores = [0.0999, 0.1, 0.2, 0.1 + 0.2, 0.4, 0.5, 0.6, 0.7, 0.8, 0.8999, 0.9, 1.0];
  const f = computeFeatures(scores.map((s) => ({ box: [0, 0, 1, 1], score: s, label: 0 })), 10, 10);
  const n = scores.length;
  // 0.0999 counts in n but in no bin; 0.8999 -> [0.8,0.9); 0.9 and 1.0 -> [0.9,1.0]
  t.is(f['counts_0.1'], 1 / n);
  t.is(f['counts_0.2'], 1 / n);
  t.is(f['counts_0.3'], 1 / n);
  t.is(f['counts_0.8'], 2 / n);
  t.is(f['counts_0.9'], 2 / n);
  const total = FEATURE_NAMES.slice(0, 9).reduce((s, k) => s + f[k], 0);
  t.true(close(total, (n - 1) / n));
});

test('a digital disc is nearly circular, an elongated mask is not', (t) => {
  for (const r of [10, 30, 60]) {
    const c = maskCircularity(disc(r))!;
    t.true(c >= 1 && c < 1 + 1 / r, `r=${r}: ${c}`);
  }
  const bar = maskCircularity(maskOf(['##########']))!; // 10x1: hull perimeter 22 / (2 sqrt(10 pi))
  t.true(close(bar, 22 / (2 * Math.sqrt(10 * Math.PI))));
  t.is(maskCircularity(maskOf(['...'])), null);
  t.true(close(ellipseCircularity(8, 8), 1));
  t.is(ellipseCircularity(0, 5), 0);
});

/** Reference: perimeter of the convex hull of any points (Andrew's monotone chain, with a sort). */
function hullPerimeter(points: Array<[number, number]>): number {
  const p = [...points].sort((u, v) => u[0] - v[0] || u[1] - v[1]);
  if (p.length < 2) return 0;
  const cross = (o: number[], a: number[], b: number[]): number => (a[0]! - o[0]!) * (b[1]! - o[1]!) - (a[1]! - o[1]!) * (b[0]! - o[0]!);
  const half = (pts: Array<[number, number]>): Array<[number, number]> => {
    const h: Array<[number, number]> = [];
    for (const q of pts) {
      while (h.length >= 2 && cross(h[h.length - 2]!, h[h.length - 1]!, q) <= 0) h.pop();
      h.push(q);
    }
    h.pop();
    return h;
  };
  const hull = [...half(p), ...half([...p].reverse())];
  let per = 0;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i]!;
    const b = hull[(i + 1) % hull.length]!;
    per += Math.hypot(b[0] - a[0], b[1] - a[1]);
  }
  return per;
}

test('mask circularity (row-extreme hull, no sort) equals the monotone-chain hull of all pixel corners, on random masks', (t) => {
  // Random masks, gaps and empty rows included: every pixel square's 4 corners through the
  // general hull, against the fast path's per-line extremes.
  const rng = createRng(11);
  for (let k = 0; k < 2000; k++) {
    const width = 1 + Math.floor(rng.uniform(0, 12)), height = 1 + Math.floor(rng.uniform(0, 12));
    const fill = rng.uniform(0, 1);
    const data = new Uint8Array(width * height).map(() => (rng.uniform(0, 1) < fill ? 1 : 0));
    const corners: Array<[number, number]> = [];
    data.forEach((v, i) => { if (v) { const x = i % width, y = Math.floor(i / width); corners.push([x, y], [x + 1, y], [x, y + 1], [x + 1, y + 1]); } });
    const area = data.reduce((a, v) => a + v, 0);
    const got = maskCircularity({ x0: 0, y0: 0, width, height, data });
    if (area === 0) { t.is(got, null); continue; }
    const want = hullPerimeter(corners) / (2 * Math.sqrt(Math.PI * area));
    if (!close(got!, want)) { t.fail(`mask ${k} (${width}x${height}): ${got} vs ${want}`); return; }
  }
  t.pass();
});

test('an empty mask falls back to the box ellipse; a bad size is refused', (t) => {
  const f = computeFeatures([{ box: [0, 0, 10, 10], score: 0.5, label: 0, mask: maskOf(['..']) }], 20, 20);
  t.true(close(f.avg_shape, 1));
  t.throws(() => computeFeatures([], 0, 10), { message: /image size/ });
});
