import test from 'ava';
import { interactionConstant, propagate, wavelengthNm, type OpticsParams } from '../../agent/sim/optics.js';

test('wavelength and interaction constant match the tabulated values (200/300 kV)', (t) => {
  t.true(Math.abs(wavelengthNm(200e3) - 2.508e-3) < 0.002e-3);
  t.true(Math.abs(wavelengthNm(300e3) - 1.969e-3) < 0.002e-3);
  t.true(Math.abs(interactionConstant(200e3) - 7.29e-3) < 0.02e-3);
  t.true(Math.abs(interactionConstant(300e3) - 6.53e-3) < 0.02e-3);
});

const ideal = (defocusNm: number, kV = 200): OpticsParams => ({ kV, defocusNm, csNm: 0, astigNm: 0, astigAngle: 0, alphaRad: 0, focalSpreadNm: 0, apertureRad: 0 });

/** Image of one spherical void (V0 = 25 V) of radius R nm, centred in an n×n field. */
function voidImage(n: number, pixelNm: number, radiusNm: number, o: OpticsParams): Float32Array {
  const sigma = interactionConstant(o.kV * 1000);
  const re = new Float64Array(n * n), im = new Float64Array(n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const r = Math.hypot((x - n / 2) * pixelNm, (y - n / 2) * pixelNm);
    const chord = r < radiusNm ? 2 * Math.sqrt(radiusNm * radiusNm - r * r) : 0;
    const ph = -sigma * 25 * chord;
    re[y * n + x] = Math.cos(ph); im[y * n + x] = Math.sin(ph);
  }
  const out = new Float32Array(n * n);
  propagate(re, im, n, pixelNm, o, out);
  return out;
}

/**
 * Centre = mean over the disk r < 0.75·R (area average: a coherent sharp-edged void rings
 * inside, so single pixels are not robust); rim = extremes over R − 1 nm .. R + 2 nm.
 */
function profile(img: Float32Array, n: number, pixelNm: number, radiusNm: number): { centre: number; rimMin: number; rimMax: number; bg: number } {
  let s = 0, k = 0, rimMin = Infinity, rimMax = -Infinity;
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const r = Math.hypot((x - n / 2) * pixelNm, (y - n / 2) * pixelNm);
    const v = img[y * n + x]!;
    if (r < 0.75 * radiusNm) { s += v; k++; }
    if (r >= radiusNm - 1 && r <= radiusNm + 2) { rimMin = Math.min(rimMin, v); rimMax = Math.max(rimMax, v); }
  }
  return { centre: s / k, rimMin, rimMax, bg: img[0]! };
}

test('focus sign: under-focus (z<0) void bright with dark rim, over-focus dark with bright rim', (t) => {
  // fresnel-physics.md's check: R = 4 nm, 0.5 nm pixels, |z| = 1 µm → centre/rim 1.07/0.82 (under),
  // 0.90/1.17 (over). Our coherent, area-averaged numbers are printed on failure for comparison.
  const n = 256;
  const under = profile(voidImage(n, 0.5, 4, ideal(-1000)), n, 0.5, 4);
  const over = profile(voidImage(n, 0.5, 4, ideal(1000)), n, 0.5, 4);
  t.true(under.centre > under.bg * 1.03, `under ${JSON.stringify(under)}`);
  t.true(under.rimMin < under.bg * 0.9, `under ${JSON.stringify(under)}`);
  t.true(under.rimMax < under.bg * 1.45, `under ${JSON.stringify(under)}`);
  t.true(over.centre < over.bg * 0.97, `over ${JSON.stringify(over)}`);
  t.true(over.rimMax > over.bg * 1.1, `over ${JSON.stringify(over)}`);
  // The signs flip together: under-focus centre brighter than over-focus centre, rims opposite.
  t.true(under.centre - over.centre > 0.1 && over.rimMax - under.rimMax > 0);
  // In focus there is (almost) no contrast: a pure phase object is invisible.
  const focus = profile(voidImage(n, 0.5, 4, ideal(0)), n, 0.5, 4);
  t.true(Math.abs(focus.centre - 1) < 1e-3);
});

/** Distance (nm) from a straight phase step to its brightest Fresnel fringe (sub-pixel). */
function fringeDistance(defocusNm: number, kV: number): number {
  const n = 512, pixelNm = 0.05, edge = n / 4;
  const sigma = interactionConstant(kV * 1000);
  const re = new Float64Array(n * n), im = new Float64Array(n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const ph = x >= edge && x < 3 * edge ? -sigma * 25 * 2 : 0; // a 2 nm thick slab removed
    re[y * n + x] = Math.cos(ph); im[y * n + x] = Math.sin(ph);
  }
  const out = new Float32Array(n * n);
  propagate(re, im, n, pixelNm, ideal(defocusNm, kV), out);
  const row = Array.from({ length: n }, (_, x) => out[(n / 2) * n + x]!);
  let best = edge;
  for (let x = edge - 100; x < edge; x++) if (row[x]! > row[best]!) best = x;
  const a = row[best - 1]!, b = row[best]!, c = row[best + 1]!;
  const sub = best + (0.5 * (a - c)) / (a - 2 * b + c);
  return (edge - (sub + 0.5)) * pixelNm;
}

test('Fresnel fringe distance grows with sqrt(λ·|Δf|)', (t) => {
  const d1 = fringeDistance(-250, 200), d2 = fringeDistance(-1000, 200), d3 = fringeDistance(-4000, 200);
  t.true(Math.abs(d2 / d1 - 2) < 0.15, `ratio ${d2 / d1}`);
  t.true(Math.abs(d3 / d2 - 2) < 0.15, `ratio ${d3 / d2}`);
  const lambdaRatio = Math.sqrt(wavelengthNm(300e3) / wavelengthNm(200e3));
  const d300 = fringeDistance(-1000, 300);
  t.true(Math.abs(d300 / d2 - lambdaRatio) < 0.06, `kV ratio ${d300 / d2} vs ${lambdaRatio}`);
});
