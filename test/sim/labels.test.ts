import test from 'ava';
import { render } from '../../agent/sim/render.js';
import { polygonArea, clipPolygon, measureContrast, ROSE_K } from '../../agent/sim/labels.js';
import { inside, params } from './helpers.js';

test('labels match the rendered cavities: the cavity-only difference image lives inside the labels', (t) => {
  const size = 256;
  const p = params('steel-under', 21, size);
  p.doseEPerA2 = 200;
  p.cavities.densityPerUm2 = 1500;
  const withCav = render(p, 21);
  const noCav = render({ ...p, cavities: { ...p.cavities, densityPerUm2: 0 } }, 21);
  t.true(withCav.labels.length >= 3, `only ${withCav.labels.length} cavities`);
  const fringePx = withCav.metadata.fringe_nm / p.pixelNm;
  // 1. Every pixel the cavities changed by > 3 % lies within a cavity's outline grown by its fringes.
  let changed = 0, explained = 0;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const i = y * size + x;
    if (Math.abs(withCav.clean[i]! / noCav.clean[i]! - 1) < 0.03) continue;
    changed++;
    // The render grid is periodic (size 256 = grid), so distances are taken modulo 256.
    const ok = withCav.cavities.some((c) => {
      const dx = Math.abs(x + 0.5 - c.cx) % size, dy = Math.abs(y + 0.5 - c.cy) % size;
      return Math.hypot(Math.min(dx, size - dx), Math.min(dy, size - dy)) <= c.radiusNm / p.pixelNm + 3 * fringePx + 2;
    });
    if (ok) explained++;
  }
  t.true(changed > 50);
  t.is(explained, changed);
  // 2. Every visible label covers pixels that the cavity really changed.
  for (const l of withCav.labels.filter((q) => q.visible)) {
    let moved = 0, n = 0;
    const [bx, by, bw, bh] = l.bbox;
    for (let y = Math.floor(by); y < by + bh; y++) for (let x = Math.floor(bx); x < bx + bw; x++) {
      if (!inside(l.polygon, x + 0.5, y + 0.5)) continue;
      n++;
      const i = y * size + x;
      if (Math.abs(withCav.clean[i]! / noCav.clean[i]! - 1) > 0.02) moved++;
    }
    t.true(n > 0 && moved / n > 0.3, `label at ${l.cx},${l.cy}: ${moved}/${n}`);
  }
});

test('COCO geometry: bbox encloses the polygon, area is the polygon area, polygons stay in the image', (t) => {
  const p = params('steel-over', 4, 256);
  p.cavities.densityPerUm2 = 3000;
  const r = render(p, 4);
  t.true(r.labels.length > 0);
  for (const l of r.labels) {
    const [x, y, w, h] = l.bbox;
    for (let i = 0; i < l.polygon.length; i += 2) {
      t.true(l.polygon[i]! >= x - 0.01 && l.polygon[i]! <= x + w + 0.01);
      t.true(l.polygon[i + 1]! >= y - 0.01 && l.polygon[i + 1]! <= y + h + 0.01);
      t.true(l.polygon[i]! >= 0 && l.polygon[i]! <= 256 && l.polygon[i + 1]! >= 0 && l.polygon[i + 1]! <= 256);
    }
    t.true(Math.abs(polygonArea(l.polygon) - l.area) < 0.5);
  }
  t.deepEqual(clipPolygon([10, 10, 20, 10, 20, 20, 10, 20], 15, 100), [10, 10, 15, 10, 15, 20, 10, 20]);
});

test('visibility: the same specimen at a lower dose has fewer visible cavities; tiny ones are never labelled', (t) => {
  const p = params('steel-under', 8, 256);
  p.cavities.densityPerUm2 = 2000;
  p.cavities.medianDiameterNm = 4;
  const counts = [100, 2, 0.05].map((dose) => render({ ...p, doseEPerA2: dose }, 8).labels.filter((l) => l.visible).length);
  t.true(counts[0]! >= counts[1]! && counts[1]! >= counts[2]! && counts[0]! > counts[2]!, `visible at doses: ${counts}`);
  const he = render(params('he-bubbles', 2, 256), 2);
  for (const l of he.labels) if ((l.diameterNm / he.metadata.pixel_size_nm) < 2) t.false(l.visible);
});

test('contrast sign of labelled cavities: bright centres under focus, dark over focus', (t) => {
  const signOf = (preset: string): number[] => {
    const p = params(preset, 31, 256);
    p.doseEPerA2 = 100;
    p.cavities.densityPerUm2 = 1500;
    p.cavities.medianDiameterNm = 8;
    p.pixelNm = 0.4;
    const r = render(p, 31);
    const fringePx = r.metadata.fringe_nm / p.pixelNm;
    // "Bright with a dark rim": mean over the inner disk (ρ < 0.6 R) against the rim band
    // (R − 0.5 px .. R + fringe + 1 px), on the noise-free image.
    return r.labels.filter((l) => l.visible && l.diameterNm / p.pixelNm > 6).map((l) => {
      const rPx = l.diameterNm / p.pixelNm / 2;
      let inner = 0, ni = 0, rim = 0, nr = 0;
      for (let y = Math.floor(l.cy - rPx - fringePx - 2); y <= l.cy + rPx + fringePx + 2; y++) {
        for (let x = Math.floor(l.cx - rPx - fringePx - 2); x <= l.cx + rPx + fringePx + 2; x++) {
          if (x < 0 || y < 0 || x >= 256 || y >= 256) continue;
          const d = Math.hypot(x + 0.5 - l.cx, y + 0.5 - l.cy);
          const v = r.clean[y * 256 + x]!;
          if (d < 0.6 * rPx) { inner += v; ni++; } else if (d >= rPx - 0.5 && d <= rPx + fringePx + 1) { rim += v; nr++; }
        }
      }
      return Math.sign(inner / ni - rim / nr);
    });
  };
  const under = signOf('steel-under'), over = signOf('steel-over');
  t.true(under.length >= 3 && over.length >= 3);
  t.true(under.filter((s) => s > 0).length >= 0.8 * under.length, `under ${under}`);
  t.true(over.filter((s) => s < 0).length >= 0.8 * over.length, `over ${over}`);
});

/** A synthetic scene for measureContrast: background B and B + a ringed blob at the centre. */
function scene(size: number, noise: (x: number, y: number) => number, amp: number, rPx: number) {
  const background = new Float32Array(size * size);
  const clean = new Float32Array(size * size);
  const c = size / 2;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const i = y * size + x;
    const d = Math.hypot(x + 0.5 - c, y + 0.5 - c);
    background[i] = 1 + noise(x, y);
    // bright centre, dark rim, fading beyond: a cavity's own fringe tail reaches past r + w
    const blob = d < rPx ? amp : amp * -0.6 * Math.exp(-((d - rPx) ** 2) / 8);
    clean[i] = background[i]! + blob;
  }
  const cavity = { cx: c, cy: c, depthNm: 10, radiusNm: rPx, faceted: false, sides: 0, angle: 0 };
  return { cavity, input: { clean, background, width: size, height: size, pixelNm: 1, fringeNm: 2, countsPerPixel: 1e6, period: size } };
}

test('visibility measure: no clutter on a flat background, white clutter of std s reads as s, a strong blob on grain stays visible', (t) => {
  const flat = scene(96, () => 0, 0.05, 5);
  const m0 = measureContrast(flat.cavity, flat.input);
  t.true(m0.clutter < 1e-6, `clutter ${m0.clutter}`);
  t.true(Math.abs(m0.detectability - m0.snr) / m0.snr < 1e-3); // shot noise alone: the Rose SNR
  // White grain of std 0.03 per pixel (uniform noise): the equivalent clutter is ~0.03.
  let s = 12345;
  const white = () => { s = (s * 1103515245 + 12345) % 2147483648; return (s / 2147483648 - 0.5) * 0.03 * Math.sqrt(12); };
  const grainy = scene(160, white, 0.05, 5);
  const m1 = measureContrast(grainy.cavity, grainy.input);
  t.log(`white: clutter ${m1.clutter.toFixed(4)}, detectability ${m1.detectability.toFixed(1)}`);
  t.true(m1.clutter > 0.015 && m1.clutter < 0.05, `clutter ${m1.clutter}`);
  // 5 % contrast over ~150 pixels against 3 % white grain: the eye averages the grain out.
  t.true(m1.detectability >= ROSE_K, `detectability ${m1.detectability}`);
  // The same blob at a tenth of the contrast drowns in the grain.
  const faint = scene(160, white, 0.005, 5);
  t.true(measureContrast(faint.cavity, faint.input).detectability < ROSE_K);
});

test('visibility measure: mottle at the cavity scale hides a faint cavity that smooth gradients do not', (t) => {
  const gradient = scene(160, (x) => 0.004 * x, 0.02, 5); // a wedge: strong, but flat at the cavity scale
  const mottle = scene(160, (x, y) => 0.05 * Math.sin(x / 3) * Math.cos(y / 3), 0.02, 5);
  const g = measureContrast(gradient.cavity, gradient.input);
  const m = measureContrast(mottle.cavity, mottle.input);
  t.true(g.detectability >= ROSE_K, `gradient: ${g.detectability}`);
  t.log(`gradient ${g.detectability.toFixed(1)}, mottle ${m.detectability.toFixed(1)}`);
  t.true(m.detectability < ROSE_K, `mottle: ${m.detectability}`);
});
