import test from 'ava';
import { componentsToDetections } from '../../agent/adapters/components.js';

/** Builds a map from rows of digits: '0'..'9' = probability 0.0..0.9, '#' = 1.0. */
function map(rows: string[]): { prob: Float32Array; width: number; height: number } {
  const width = rows[0]!.length;
  const prob = new Float32Array(width * rows.length);
  rows.forEach((r, y) => [...r].forEach((c, x) => { prob[y * width + x] = c === '#' ? 1 : Number(c) / 10; }));
  return { prob, width, height: rows.length };
}

test('hand-made probability map: two blobs, 8-connectivity, boxes, masks and mean-probability scores', (t) => {
  const { prob, width, height } = map([
    '00000000',
    '0##00000',
    '0#900000',
    '00070000', // 7 touches the 9 diagonally: same component at threshold 0.5
    '00000660',
    '00000660',
    '00000000',
  ]);
  const dets = componentsToDetections(prob, width, height, width, { threshold: 0.5, minArea: 1 });
  t.is(dets.length, 2);
  const [a, b] = dets;
  // blob 1: pixels (1,1)=1 (2,1)=1 (1,2)=1 (2,2)=.9 (3,3)=.7 -> mean 4.6/5 = .92
  t.deepEqual(a!.box, [1, 1, 4, 4]);
  t.true(Math.abs(a!.score - 0.92) < 1e-6);
  t.deepEqual(a!.mask && { x0: a.mask.x0, y0: a.mask.y0, w: a.mask.width, h: a.mask.height, d: [...a.mask.data] },
    { x0: 1, y0: 1, w: 3, h: 3, d: [1, 1, 0, 1, 1, 0, 0, 0, 1] });
  // blob 2: four pixels of .6
  t.deepEqual(b!.box, [5, 4, 7, 6]);
  t.true(Math.abs(b!.score - 0.6) < 1e-6);
  t.deepEqual([...b!.mask!.data], [1, 1, 1, 1]);
});

test('threshold and min area decide what counts', (t) => {
  const { prob, width, height } = map(['#0006', '00006', '50000']);
  t.is(componentsToDetections(prob, width, height, width, { threshold: 0.5, minArea: 1 }).length, 3);
  t.is(componentsToDetections(prob, width, height, width, { threshold: 0.55, minArea: 1 }).length, 2);
  const big = componentsToDetections(prob, width, height, width, { threshold: 0.5, minArea: 2 });
  t.deepEqual(big.map((d) => d.box), [[4, 0, 5, 2]]);
});

test('a row stride larger than the width crops a padded map', (t) => {
  // 3x2 image inside a 5-wide padded map; the padding columns (x 3,4) touch the blob but must be ignored
  const { prob } = map(['0#0##', '00###']);
  const dets = componentsToDetections(prob, 3, 2, 5, { threshold: 0.5, minArea: 1 });
  t.deepEqual(dets.map((d) => d.box), [[1, 0, 3, 2]]);
  t.deepEqual([...dets[0]!.mask!.data], [1, 0, 0, 1]);
});

test('an empty map gives no detections', (t) => {
  t.deepEqual(componentsToDetections(new Float32Array(16), 4, 4, 4, { threshold: 0.5, minArea: 1 }), []);
});

/** The reference: a per-pixel depth-first flood fill (the algorithm this file used before runs). */
function floodReference(prob: Float32Array, width: number, height: number, t: number, minArea: number): { box: number[]; area: number; sum: number; mask: number[] }[] {
  const labels = new Int32Array(width * height);
  const out: { box: number[]; area: number; sum: number; mask: number[] }[] = [];
  let id = 0;
  for (let s = 0; s < width * height; s++) {
    if (labels[s] || prob[s]! < t) continue;
    id++;
    const stack = [s];
    labels[s] = id;
    const px: number[] = [];
    while (stack.length) {
      const p = stack.pop()!;
      px.push(p);
      const y = Math.floor(p / width), x = p - y * width;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const nx = x + dx, ny = y + dy;
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const q = ny * width + nx;
        if (!labels[q] && prob[q]! >= t) { labels[q] = id; stack.push(q); }
      }
    }
    if (px.length < minArea) continue;
    const xs = px.map((p) => p % width), ys = px.map((p) => Math.floor(p / width));
    const x1 = Math.min(...xs), y1 = Math.min(...ys), x2 = Math.max(...xs) + 1, y2 = Math.max(...ys) + 1;
    const mask = new Array((x2 - x1) * (y2 - y1)).fill(0);
    for (const p of px) mask[(Math.floor(p / width) - y1) * (x2 - x1) + (p % width) - x1] = 1;
    out.push({ box: [x1, y1, x2, y2], area: px.length, sum: px.reduce((a, p) => a + prob[p]!, 0), mask });
  }
  return out;
}

test('runs + union-find give exactly the components of a per-pixel flood fill (random maps of 20-70 % foreground: U shapes, holes, merges)', (t) => {
  let s = 7;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let trial = 0; trial < 60; trial++) {
    const width = 5 + Math.floor(rnd() * 60), height = 5 + Math.floor(rnd() * 60);
    const prob = new Float32Array(width * height);
    const density = 0.2 + 0.5 * rnd();
    for (let i = 0; i < prob.length; i++) prob[i] = rnd() < density ? 0.5 + 0.5 * rnd() : 0.4 * rnd();
    const ref = floodReference(prob, width, height, 0.5, 2);
    const got = componentsToDetections(prob, width, height, width, { threshold: 0.5, minArea: 2 });
    t.is(got.length, ref.length);
    const key = (b: number[]): string => b.join(',');
    const byBox = new Map(ref.map((r) => [key(r.box) + ':' + r.area, r]));
    for (const d of got) {
      const area = d.mask!.data.reduce((a, v) => a + v, 0);
      const r = byBox.get(key(d.box) + ':' + area);
      if (!r) { t.fail(`no reference component with box ${key(d.box)} and area ${area}`); continue; }
      t.deepEqual([...d.mask!.data], r.mask);
      t.true(Math.abs(d.score - r.sum / r.area) < 1e-6);
    }
  }
});
