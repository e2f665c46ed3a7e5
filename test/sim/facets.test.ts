import test from 'ava';
import { render } from '../../agent/sim/render.js';
import { chordThrough, drawOrientation, drawPolyhedron, outlineOf, type FacetParams } from '../../agent/sim/facets.js';
import { createRng } from '../../agent/sim/rng.js';
import { flatParams, inside, params } from './helpers.js';

/** Distance from (x, y) to the polygon's boundary. */
function edgeDistance(poly: number[], x: number, y: number): number {
  let best = Infinity;
  for (let i = 0, j = poly.length - 2; i < poly.length; j = i, i += 2) {
    const ax = poly[j]!, ay = poly[j + 1]!, bx = poly[i]!, by = poly[i + 1]!;
    const dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    const u = l2 > 0 ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / l2)) : 0;
    best = Math.min(best, Math.hypot(x - ax - u * dx, y - ay - u * dy));
  }
  return best;
}

const ANY: FacetParams = { zone011: 0.33, zone111: 0.33, tiltRad: 0.2, truncation: [1.1, 3.3], elongatedFraction: 0.5, maxElongation: 1.6, rounding: [0.85, 1], edgeNm: 0.7 };

test('a polyhedron: the cube along [001] has the chord 2a inside and 0 outside; truncation and rounding only remove material', (t) => {
  const cube: FacetParams = { ...ANY, zone011: 0, zone111: 0, tiltRad: 0, truncation: [3.5, 3.5], elongatedFraction: 0, rounding: [1, 1] };
  const rng = createRng(1);
  const b = drawPolyhedron(rng, cube, drawOrientation(rng, cube), 10);
  t.true(Math.abs(b.boundNm - 10 * Math.sqrt(3)) < 1e-9);
  t.is(chordThrough(b, 0, 0, 50, 100), 20);
  t.is(chordThrough(b, 0, 0, 5, 100), 15, 'cut by the foil surface at z = 0');
  t.is(chordThrough(b, 15, 0, 50, 100), 0, 'beyond the furthest face the chord is 0');
  const rng2 = createRng(2);
  for (let k = 0; k < 20; k++) {
    const o = drawOrientation(rng2, ANY);
    const p = drawPolyhedron(rng2, ANY, o, 10);
    for (let q = 0; q < 50; q++) {
      const x = rng2.uniform(-20, 20), y = rng2.uniform(-20, 20);
      const c = chordThrough(p, x, y, 50, 100);
      t.true(c >= 0 && c <= 2 * p.boundNm + 1e-9);
      if (Math.hypot(x, y) > p.boundNm) t.is(c, 0);
    }
  }
});

test('the label polygon is the projected shape: chord > 0 exactly inside it (up to 0.1 px at the edge)', (t) => {
  const rng = createRng(3);
  let checked = 0;
  for (let k = 0; k < 12; k++) {
    const o = drawOrientation(rng, ANY);
    const aNm = rng.uniform(2, 60), pixelNm = rng.uniform(0.5, 3), zc = rng.uniform(20, 80), thick = 100;
    const b = drawPolyhedron(rng, ANY, o, aNm);
    const poly = outlineOf(b, 0, 0, zc, thick, pixelNm);
    const r = b.boundNm / pixelNm + 2;
    for (let y = -r; y <= r; y += 0.37) for (let x = -r; x <= r; x += 0.37) {
      const c = chordThrough(b, x * pixelNm, y * pixelNm, zc, thick) > 0;
      if (c === inside(poly, x, y)) continue;
      t.true(edgeDistance(poly, x, y) < 0.1, `shape ${k}: (${x.toFixed(2)}, ${y.toFixed(2)}) ${c ? 'inside the void, outside its label' : 'in the label, outside the void'}`);
    }
    checked++;
  }
  t.is(checked, 12);
});

test('steel-faceted renders: every faceted label is its void rasterised (pixel centres), sizes span small to large', (t) => {
  let faceted = 0, largest = 0, smallest = Infinity;
  for (const seed of [3, 7, 11]) {
    const p = params('steel-faceted', seed, 256);
    const r = render(p, seed);
    t.true(r.image.every(Number.isFinite));
    for (const l of r.labels) {
      const c = r.cavities.find((q) => q.body && Math.abs(q.cx - l.cx) < 1e-9 && Math.abs(q.cy - l.cy) < 1e-9);
      if (!c || l.shape !== 'faceted') continue;
      faceted++;
      const dPx = l.diameterNm / p.pixelNm;
      largest = Math.max(largest, dPx); smallest = Math.min(smallest, dPx);
      const [bx, by, bw, bh] = l.bbox;
      let bad = 0, n = 0;
      for (let y = Math.floor(by) - 1; y <= by + bh + 1; y++) for (let x = Math.floor(bx) - 1; x <= bx + bw + 1; x++) {
        if (x < 0 || y < 0 || x >= 256 || y >= 256) continue;
        const inVoid = chordThrough(c.body!, (x + 0.5 - c.cx) * p.pixelNm, (y + 0.5 - c.cy) * p.pixelNm, c.depthNm, p.background.thicknessNm) > 0;
        const inLabel = inside(l.polygon, x + 0.5, y + 0.5);
        if (inVoid) n++;
        if (inVoid !== inLabel && edgeDistance(l.polygon, x + 0.5, y + 0.5) > 0.1) bad++;
      }
      t.is(bad, 0, `label at ${l.cx.toFixed(1)},${l.cy.toFixed(1)}: ${bad} of ${n} pixels differ`);
    }
  }
  t.true(faceted >= 10, `${faceted} faceted labels`);
  t.true(largest >= 40 && smallest <= 10, `diameters ${smallest.toFixed(1)}..${largest.toFixed(1)} px`);
});

/** One sharp cube void seen along [001] on a featureless foil, at defocus z (nm). */
function oneCube(defocusNm: number): { image: Float32Array; cx: number; cy: number; halfPx: number; turn: number; size: number } {
  const size = 256;
  const p = flatParams(size, 1e6);
  p.pixelNm = 0.5;
  p.mtfSigmaPx = 0;
  p.optics = { ...p.optics, defocusNm, astigNm: 0 };
  p.background = { ...p.background, thicknessNm: 100 };
  p.cavities.voids = {
    coverage: 0, minPx: 60, maxPx: 60, slope: 2, largest: 1, maxCount: 1, sphereBelowNm: 0,
    facets: { zone011: 0, zone111: 0, tiltRad: 0, truncation: [3.5, 3.5], elongatedFraction: 0, maxElongation: 1, rounding: [1, 1], edgeNm: 0.7 },
  };
  const r = render(p, 5);
  t0(r.cavities.length === 1);
  const c = r.cavities[0]!, n = c.body!.normals;
  // The first face is the cube's +x face: its in-plane normal gives the drawn turn; a = its offset.
  return { image: r.clean, cx: c.cx, cy: c.cy, halfPx: c.body!.offsets[0]! / p.pixelNm, turn: Math.atan2(n[1]!, n[0]!), size };
}

function t0(ok: boolean): void { if (!ok) throw new Error('expected one void'); }

test('focus sign on a faceted void: under-focus puts a dark fringe outside its walls and a bright one inside; over-focus the reverse', (t) => {
  const profile = (defocus: number): { outside: number; inside: number } => {
    const { image, cx, cy, halfPx, turn, size } = oneCube(defocus);
    const cT = Math.cos(turn), sT = Math.sin(turn);
    let out = 0, inn = 0, deep = 0, far = 0, nO = 0, nI = 0, nD = 0, nF = 0;
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      // Distances along the cube's edge directions (a 60 px void gets a padded grid: no wrap-around).
      const u = Math.abs(dx * cT + dy * sT), w = Math.abs(-dx * sT + dy * cT);
      const m = Math.max(u, w), side = Math.min(u, w);
      const v = image[y * size + x]!;
      if (m > 3 * halfPx) { far += v; nF++; continue; }
      if (side > halfPx - 6) continue; // away from the corners
      // Bands about one fringe width sqrt(λ|z|) = 1.6 nm (3 px) wide on either side of the wall.
      if (m > halfPx && m <= halfPx + 3) { out += v; nO++; }
      else if (m <= halfPx - 1.5 && m > halfPx - 4) { inn += v; nI++; }
      else if (m < halfPx - 6) { deep += v; nD++; }
    }
    return { outside: out / nO / (far / nF), inside: inn / nI / (deep / nD) };
  };
  const under = profile(-1000), over = profile(1000);
  t.true(under.outside < 0.97 && under.inside > 1.03, `under-focus: outside ${under.outside.toFixed(3)}, inside ${under.inside.toFixed(3)}`);
  t.true(over.outside > 1.03 && over.inside < 0.97, `over-focus: outside ${over.outside.toFixed(3)}, inside ${over.inside.toFixed(3)}`);
});

test('steel-faceted: same seed, same numbers', (t) => {
  const a = render(params('steel-faceted', 9, 192), 9), b = render(params('steel-faceted', 9, 192), 9);
  t.deepEqual(Buffer.from(a.image.buffer), Buffer.from(b.image.buffer));
  t.deepEqual(a.labels, b.labels);
});
