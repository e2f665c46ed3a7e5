/**
 * Faceted voids: convex polyhedra (truncated octahedra, cuboctahedra, cubes, elongated
 * cuboids, with rounded edges) in a crystal of one orientation, and the exact projected path
 * length through each, which is what the electron wave sees.
 *
 * Physics: a void removes the mean inner potential and the scattering material along the
 * beam (z). For a convex body K the removed path length at (x, y) is the length of the line
 * {(x, y, z)} inside K ∩ foil, foil = {0 ≤ z ≤ t}:
 *   c(x, y) = max(0, min over faces of the upper bounds − max over faces of the lower bounds)
 * with K = {p : n_i·p ≤ d_i} ∩ {|p| ≤ ρ} (the sphere rounds edges and corners, as surface
 * energy does on real voids). This thickness deficit feeds the same phase/absorption model as
 * spherical cavities (specimen.ts): Δφ = −σ·V0·c, Δμ = −c/λ_abs. So the sloping {111} facets of
 * a truncated octahedron seen along [001] give a shaded octagon whose Fresnel fringes and
 * internal facet lines come out of the propagation, and the walls parallel to the beam of a
 * cube give a flat plateau with a step (the strongest fringe).
 * Voids share the orientation of their grain: the crystal is seen near a low-index zone axis
 * ([001] → squares/octagons, [011] → rectangles/elongated hexagons, [111] → hexagons) with a
 * small tilt; each void has its own truncation, elongation and rounding.
 * Labels: K ∩ foil is convex, so is its projection; outlineOf() takes the convex hull of the
 * projected vertices (the corners) and of edge points found by bisection on c > 0 along rays
 * (the rounded parts), so the label polygon is the projected shape up to the sagitta of the
 * rounded arcs between rays (< 0.1 px).
 */
import type { Rng } from './rng.js';

/** A convex body centred on the origin, lab frame (z along the beam), lengths in nm. */
export interface Polyhedron {
  /** Face normals (x, y, z per face, not necessarily unit) and offsets: n·p ≤ d. */
  normals: Float64Array;
  offsets: Float64Array;
  /** Radius of the rounding sphere (nm); Infinity for sharp edges. */
  sphereNm: number;
  /** Radius of a sphere that contains the body (nm). */
  boundNm: number;
}

/** Crystal orientation of one grain: a rotation matrix (row-major 3×3), crystal → lab. */
export type Orientation = Float64Array;

export interface FacetParams {
  /** Probability of viewing along [001], [011], [111] (the rest of 1 is [001]). */
  zone011: number;
  zone111: number;
  /** Largest tilt away from the zone axis (rad). */
  tiltRad: number;
  /**
   * Octahedral truncation range: {111} faces at |x|+|y|+|z| ≤ s (cube faces at ±1):
   * s = 1 octahedron, 1.5 truncated octahedron, 2 cuboctahedron, ≥ 3 cube.
   */
  truncation: [number, number];
  /** Fraction of voids elongated along one cube axis, and the largest elongation. */
  elongatedFraction: number;
  maxElongation: number;
  /** Rounding sphere radius as a fraction of the sharp body's circumradius (1 = sharp). */
  rounding: [number, number];
  /**
   * Wall roughness (nm): the thickness deficit is smoothed by a Gaussian of this σ. Real walls
   * are neither atomically flat nor exactly parallel to the beam; a perfect step of several
   * radians rings into a comb of fringes that real voids do not show.
   */
  edgeNm: number;
}

/** Rotation crystal → lab that sends the zone axis to +z, then a tilt and an in-plane turn. */
export function drawOrientation(rng: Rng, p: FacetParams): Orientation {
  const u = rng.next();
  const zone: [number, number, number] = u < p.zone111 ? [1, 1, 1] : u < p.zone111 + p.zone011 ? [0, 1, 1] : [0, 0, 1];
  const toZ = alignToZ(zone);
  const axisAngle = rng.uniform(0, 2 * Math.PI);
  const t = rng.uniform(0, p.tiltRad);
  const tiltR = rotation([Math.cos(axisAngle), Math.sin(axisAngle), 0], t);
  const spin = rotation([0, 0, 1], rng.uniform(0, 2 * Math.PI));
  return mul(spin, mul(tiltR, toZ));
}

/** Draws one void's body of "size" a (nm; half the distance between opposite cube faces). */
export function drawPolyhedron(rng: Rng, p: FacetParams, o: Orientation, aNm: number): Polyhedron {
  const s = rng.uniform(p.truncation[0], p.truncation[1]);
  const e: [number, number, number] = [1, 1, 1];
  if (rng.next() < p.elongatedFraction) e[rng.int(3)] = rng.uniform(1.1, p.maxElongation);
  // Crystal-frame faces scaled by diag(e): n·S⁻¹·p ≤ d.
  const faces: number[][] = [];
  for (let k = 0; k < 3; k++) for (const sg of [1, -1]) { const n = [0, 0, 0]; n[k] = sg / e[k]!; faces.push([...n, aNm]); }
  if (s < 3) {
    for (const sx of [1, -1]) for (const sy of [1, -1]) for (const sz of [1, -1]) faces.push([sx / e[0]!, sy / e[1]!, sz / e[2]!, s * aNm]);
  }
  const normals = new Float64Array(3 * faces.length), offsets = new Float64Array(faces.length);
  faces.forEach((f, i) => {
    const lab = apply(o, [f[0]!, f[1]!, f[2]!]);
    normals.set(lab, 3 * i);
    offsets[i] = f[3]!;
  });
  const sharp = circumradius(normals, offsets);
  const f = rng.uniform(p.rounding[0], p.rounding[1]);
  return { normals, offsets, sphereNm: f >= 0.999 ? Infinity : f * sharp, boundNm: sharp };
}

/** The farthest vertex of {n_i·p ≤ d_i} from the origin. */
function circumradius(n: Float64Array, d: Float64Array): number {
  let best = 0;
  for (const v of vertices(n, d)) best = Math.max(best, Math.hypot(v[0], v[1], v[2]));
  return best;
}

/** Every feasible intersection of three faces of {n_i·p ≤ d_i} (duplicates allowed). */
function vertices(n: Float64Array, d: Float64Array): Array<[number, number, number]> {
  const m = d.length;
  const out: Array<[number, number, number]> = [];
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) for (let k = j + 1; k < m; k++) {
    const v = solve3(n, i, j, k, d[i]!, d[j]!, d[k]!);
    if (!v) continue;
    let ok = true;
    for (let q = 0; q < m && ok; q++) ok = n[3 * q]! * v[0] + n[3 * q + 1]! * v[1] + n[3 * q + 2]! * v[2] <= d[q]! + 1e-9 * (1 + Math.abs(d[q]!));
    if (ok) out.push(v);
  }
  return out;
}

/** The point on faces i, j, k (Cramer's rule), or null when they do not meet in one point. */
function solve3(n: Float64Array, i: number, j: number, k: number, a: number, b: number, c: number): [number, number, number] | null {
  const r = (q: number): [number, number, number] => [n[3 * q]!, n[3 * q + 1]!, n[3 * q + 2]!];
  const [u, v, w] = [r(i), r(j), r(k)];
  const det = u[0] * (v[1] * w[2] - v[2] * w[1]) - u[1] * (v[0] * w[2] - v[2] * w[0]) + u[2] * (v[0] * w[1] - v[1] * w[0]);
  if (Math.abs(det) < 1e-12) return null;
  const dx = a * (v[1] * w[2] - v[2] * w[1]) - u[1] * (b * w[2] - v[2] * c) + u[2] * (b * w[1] - v[1] * c);
  const dy = u[0] * (b * w[2] - v[2] * c) - a * (v[0] * w[2] - v[2] * w[0]) + u[2] * (v[0] * c - b * w[0]);
  const dz = u[0] * (v[1] * c - b * w[1]) - u[1] * (v[0] * c - b * w[0]) + a * (v[0] * w[1] - v[1] * w[0]);
  return [dx / det, dy / det, dz / det];
}

/** A sphere of radius r as a Polyhedron without faces (small voids are near-spherical). */
export function sphereBody(rNm: number): Polyhedron {
  return { normals: new Float64Array(0), offsets: new Float64Array(0), sphereNm: rNm, boundNm: rNm };
}

/**
 * The path length (nm) inside body ∩ foil along the beam through (x, y) nm from the body's
 * centre, which sits at depth zc (nm) in a foil of thickness t: the file comment's formula.
 */
export function chordThrough(b: Polyhedron, x: number, y: number, zc: number, t: number): number {
  let lo = -zc, hi = t - zc;
  if (b.sphereNm !== Infinity) {
    const q = b.sphereNm * b.sphereNm - x * x - y * y;
    if (q <= 0) return 0;
    const h = Math.sqrt(q);
    if (-h > lo) lo = -h;
    if (h < hi) hi = h;
  }
  const n = b.normals, d = b.offsets;
  for (let i = 0, j = 0; i < d.length; i++, j += 3) {
    const r = d[i]! - n[j]! * x - n[j + 1]! * y, nz = n[j + 2]!;
    if (nz > 1e-12) { const z = r / nz; if (z < hi) hi = z; }
    else if (nz < -1e-12) { const z = r / nz; if (z > lo) lo = z; }
    else if (r < 0) return 0;
    if (hi <= lo) return 0;
  }
  return hi - lo;
}

/**
 * The projected outline of body ∩ foil, image pixels, as a closed polygon around (cx, cy).
 * The projection of a convex body is convex: its corners are projected vertices of the
 * faceted body ∩ foil (those inside the rounding sphere), its rounded parts are found on
 * `rays` rays by bisection on c > 0; the polygon is the convex hull of both, with vertices
 * on straight edges dropped (within 0.02 px).
 */
export function outlineOf(b: Polyhedron, cx: number, cy: number, zc: number, t: number, pixelNm: number): number[] {
  const rPx = b.boundNm / pixelNm;
  const rays = Math.max(64, Math.min(8192, Math.ceil(8 * Math.PI * rPx))); // a ray every ~¼ px of perimeter
  const pts: number[] = [];
  for (let k = 0; k < rays; k++) {
    const a = (2 * Math.PI * k) / rays;
    const ux = Math.cos(a), uy = Math.sin(a);
    let lo = 0, hi = b.boundNm * 1.0001;
    for (let it = 0; it < 40 && hi - lo > 1e-3 * pixelNm; it++) {
      const m = 0.5 * (lo + hi);
      if (chordThrough(b, m * ux, m * uy, zc, t) > 0) lo = m; else hi = m;
    }
    pts.push(lo * ux, lo * uy);
  }
  for (const v of clippedVertices(b, zc, t)) pts.push(v[0], v[1]);
  const hull = convexHull(pts);
  for (let i = 0; i < hull.length; i += 2) { hull[i] = cx + hull[i]! / pixelNm; hull[i + 1] = cy + hull[i + 1]! / pixelNm; }
  return dropCollinear(hull, 0.02);
}

/** Vertices of the faceted body ∩ foil that lie inside the rounding sphere (nm, body frame). */
function clippedVertices(b: Polyhedron, zc: number, t: number): Array<[number, number, number]> {
  const m = b.offsets.length;
  if (!m) return [];
  const n = new Float64Array(3 * (m + 2)), d = new Float64Array(m + 2);
  n.set(b.normals); d.set(b.offsets);
  n[3 * m + 2] = 1; d[m] = t - zc; // z ≤ t − zc
  n[3 * m + 5] = -1; d[m + 1] = zc; // −z ≤ zc
  const s2 = b.sphereNm * b.sphereNm * (1 + 1e-9);
  return vertices(n, d).filter((v) => v[0] * v[0] + v[1] * v[1] + v[2] * v[2] <= s2);
}

/** Monotone-chain convex hull of flat [x, y, ...] points, counter-clockwise (y up). */
function convexHull(flat: number[]): number[] {
  const p: Array<[number, number]> = [];
  for (let i = 0; i < flat.length; i += 2) p.push([flat[i]!, flat[i + 1]!]);
  p.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: [number, number], a: [number, number], c: [number, number]): number => (a[0] - o[0]) * (c[1] - o[1]) - (a[1] - o[1]) * (c[0] - o[0]);
  const lower: Array<[number, number]> = [], upper: Array<[number, number]> = [];
  for (const q of p) { while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, q) <= 0) lower.pop(); lower.push(q); }
  for (let i = p.length - 1; i >= 0; i--) { const q = p[i]!; while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, q) <= 0) upper.pop(); upper.push(q); }
  const h = lower.slice(0, -1).concat(upper.slice(0, -1));
  return h.flatMap((q) => [q[0], q[1]]);
}

/**
 * Drops vertices of a closed polygon while every dropped vertex stays within tol of the
 * segment that replaces it (greedy: a segment is stretched from the last kept vertex as far as
 * that holds), so straight facet edges keep only their corners and the shape moves < tol.
 */
export function dropCollinear(pts: number[], tol: number): number[] {
  const m = pts.length / 2;
  if (m <= 8) return pts;
  const X = (i: number): number => pts[2 * (i % m)]!, Y = (i: number): number => pts[2 * (i % m) + 1]!;
  const keep: number[] = [];
  let i = 0;
  while (i < m) {
    keep.push(X(i), Y(i));
    let j = i + 2;
    for (; j <= m; j++) {
      const ax = X(i), ay = Y(i), dx = X(j) - ax, dy = Y(j) - ay, len = Math.hypot(dx, dy);
      let ok = len > 0;
      for (let k = i + 1; k < j && ok; k++) ok = Math.abs((X(k) - ax) * dy - (Y(k) - ay) * dx) / len <= tol;
      if (!ok) break;
    }
    i = j - 1;
  }
  return keep.length >= 6 ? keep : pts;
}

/** Largest projected distance (px) of the outline from its centre: the label's radius. */
export function projectedRadiusPx(outline: number[], cx: number, cy: number): number {
  let r = 0;
  for (let i = 0; i < outline.length; i += 2) r = Math.max(r, Math.hypot(outline[i]! - cx, outline[i + 1]! - cy));
  return r;
}

// --- small 3-D rotation helpers (row-major 3×3) ---

function rotation(axis: [number, number, number], angle: number): Float64Array {
  const [x0, y0, z0] = axis;
  const l = Math.hypot(x0, y0, z0) || 1;
  const x = x0 / l, y = y0 / l, z = z0 / l;
  const c = Math.cos(angle), s = Math.sin(angle), C = 1 - c;
  return new Float64Array([
    c + x * x * C, x * y * C - z * s, x * z * C + y * s,
    y * x * C + z * s, c + y * y * C, y * z * C - x * s,
    z * x * C - y * s, z * y * C + x * s, c + z * z * C,
  ]);
}

/** The rotation that sends the unit vector along `v` to +z (about the axis v × z). */
function alignToZ(v: [number, number, number]): Float64Array {
  const l = Math.hypot(...v);
  const [x, y, z] = [v[0] / l, v[1] / l, v[2] / l];
  const ax: [number, number, number] = [y, -x, 0];
  if (Math.hypot(ax[0], ax[1]) < 1e-12) return rotation([0, 0, 1], 0);
  return rotation(ax, Math.acos(Math.max(-1, Math.min(1, z))));
}

function mul(a: Float64Array, b: Float64Array): Float64Array {
  const o = new Float64Array(9);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) o[3 * i + j] = a[3 * i]! * b[j]! + a[3 * i + 1]! * b[3 + j]! + a[3 * i + 2]! * b[6 + j]!;
  return o;
}

function apply(r: Float64Array, v: [number, number, number]): [number, number, number] {
  return [r[0]! * v[0] + r[1]! * v[1] + r[2]! * v[2], r[3]! * v[0] + r[4]! * v[1] + r[5]! * v[2], r[6]! * v[0] + r[7]! * v[1] + r[8]! * v[2]];
}
