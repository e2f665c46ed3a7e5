/**
 * The specimen's small features, written into the exit wave: cavities (the objects to
 * find) and distractors (precipitates, dislocation lines and loops, contamination specks).
 *
 * Physics (fresnel-physics.md): a cavity of radius R removes the mean inner potential V0
 * along its chord c(r), so the exit-wave phase changes by
 *   Δφ(r) = −σ·V0·(1 − f)·c(r)          (f = fraction of V0 left by gas in a bubble, ~0)
 * and, with less material to scatter out of the aperture, the absorption changes by
 *   Δμ(r) = −c(r)/λ_abs.
 * Chords: sphere c = 2R·sqrt(1 − ρ²) (ρ = r/R). Faceted cavities (voids in steels are
 * truncated octahedra/cubes) are modelled as a rounded regular s-gon outline (s = 4 or 6) with
 * the sphere's profile across it: c = 2R·sqrt(1 − g²), g = the rounded polygon gauge (1 on
 * the outline; polygonGauge()).
 * Precipitates have a HIGHER potential than the matrix (Δφ = +σ·ΔV·c, ΔV ≈ 3–8 V) and
 * scatter more (Δμ = c/λ_p, λ_p = 60 nm), so their Fresnel contrast is opposite to a void's: a
 * detector can confuse them. Dislocation lines and loops are strain contrast: Δμ with a
 * Gaussian cross-section (0.6–1.5 nm). Specks (contamination, black-dot damage) add potential
 * and mass; most of them cluster in patches.
 * Placement: cavities are darts (uniform, or a `clustering` fraction around cluster centres) in the 3-D foil (centre depth in [R, t − R]) rejected when
 * they would intersect another cavity (centre distance < R1 + R2 + 0.5 nm) or when their
 * projected centres are closer than the larger radius (a label inside another's outline).
 */
import type { Rng } from './rng.js';
import { gaussianBlur } from './noise.js';
import { chordThrough, drawOrientation, drawPolyhedron, outlineOf, projectedRadiusPx, sphereBody, type FacetParams, type Polyhedron } from './facets.js';

export interface Cavity {
  /** Centre in image pixels (pixel (i,j) spans [i, i+1) × [j, j+1)). */
  cx: number;
  cy: number;
  depthNm: number;
  radiusNm: number;
  faceted: boolean;
  sides: number;
  angle: number;
  /**
   * A polyhedral void (facets.ts): its body in the lab frame; then radiusNm is the projected
   * outline's largest radius, and `faceted`/`sides`/`angle` are unused.
   */
  body?: Polyhedron;
  /** The body's projected outline (px, relative to the centre), computed once at placement. */
  outlinePx?: number[];
}

export interface CavityParams {
  densityPerUm2: number;
  medianDiameterNm: number;
  /** Log-normal sigma (natural-log units). Diameters are clipped to [1, 50] nm. */
  sigmaLog: number;
  facetedFraction: number;
  /**
   * Fraction of cavities that nucleate in clusters (on dislocations, at sinks) rather than
   * uniformly: they are placed around a few cluster centres with a 10–25 nm Gaussian spread.
   */
  clustering: number;
  /** Mean inner potential V0 (V) and the fraction f of it a bubble's gas keeps. */
  v0: number;
  fill: number;
  /** Polyhedral voids from a few px to hundreds of px (placeVoids), besides the cavities above. */
  voids?: VoidParams;
}

/** Faceted voids spanning a wide size range in one image (the large-void micrographs). */
export interface VoidParams {
  /** Target fraction of the image covered by the voids' projections. */
  coverage: number;
  /** Diameter range in image pixels (2a, a = half the cube-face distance), and the power law d^−slope. */
  minPx: number;
  maxPx: number;
  slope: number;
  /** How many voids are drawn first from the top of the range (log-uniform on [maxPx/2.5, maxPx]): the few large ones of a field. */
  largest: number;
  /** Upper bound on the number of voids (render time). */
  maxCount: number;
  /** Below this diameter (nm) a void is a sphere (surface energy beats facet anisotropy). */
  sphereBelowNm: number;
  facets: FacetParams;
  /**
   * How far (in diameters) a void's centre keeps inside the frame edge; unset: -0.5, anywhere a
   * part of it shows. A void with less than half its area inside gets no label (labels.ts), so a
   * few large voids near the edge would be unlabelled objects in a frame that has little else.
   */
  edgeMargin?: number;
}

export interface DistractorParams {
  precipitatesPerUm2: number;
  precipitateDiameterNm: [number, number];
  loopsPerUm2: number;
  loopDiameterNm: [number, number];
  /** Range of the projected loops' minor/major axis ratio (default 0.3–1; small values are near edge-on: short dark rods). */
  loopAspect?: [number, number];
  dislocationsPerUm2: number;
  /** Dislocation line width and length ranges (nm); default 0.6–1.5 and 50–300. */
  dislocationWidthNm?: [number, number];
  dislocationLengthNm?: [number, number];
  specksPerUm2: number;
}

/** The local part of the exit wave: phase (rad) and absorption μ (intensity = exp(−μ)). */
export interface LocalObject { n: number; phase: Float32Array; mu: Float32Array }

const MIN_D = 1, MAX_D = 50;
/** Below ~8 nm surface energy wins over facet anisotropy: small voids are near-spherical. */
const MIN_FACETED_D = 8;

function areaUm2(fieldPx: number, pixelNm: number): number {
  return ((fieldPx * pixelNm) / 1000) ** 2;
}

/** Draws non-overlapping cavities over a fieldPx² image (see the file comment). */
export function placeCavities(rng: Rng, fieldPx: number, pixelNm: number, thicknessNm: number, p: CavityParams): Cavity[] {
  const target = rng.poisson(p.densityPerUm2 * areaUm2(fieldPx, pixelNm));
  const out: Cavity[] = [];
  const clusters = Array.from({ length: 1 + Math.ceil(target / 15) }, () => ({ x: rng.uniform(0, fieldPx), y: rng.uniform(0, fieldPx), s: rng.uniform(10, 25) / pixelNm }));
  for (let attempt = 0; attempt < target * 30 && out.length < target; attempt++) {
    const d = Math.min(MAX_D, Math.max(MIN_D, rng.logNormal(p.medianDiameterNm, p.sigmaLog)));
    const r = d / 2;
    if (d + 1 > thicknessNm) continue;
    const rPx = r / pixelNm;
    const k = rng.next() < p.clustering ? clusters[rng.int(clusters.length)]! : null;
    const c: Cavity = {
      cx: k ? k.x + k.s * rng.normal() : rng.uniform(-rPx, fieldPx + rPx),
      cy: k ? k.y + k.s * rng.normal() : rng.uniform(-rPx, fieldPx + rPx),
      depthNm: rng.uniform(r, thicknessNm - r),
      radiusNm: r,
      faceted: rng.next() < p.facetedFraction && d >= MIN_FACETED_D,
      sides: rng.next() < 0.5 ? 4 : 6,
      angle: rng.uniform(0, Math.PI),
    };
    if (!collides(c, out, pixelNm)) out.push(c);
  }
  if (p.voids) out.push(...placeVoids(rng, fieldPx, pixelNm, thicknessNm, p.voids, out));
  return out;
}

/**
 * Draws polyhedral voids of one grain orientation: the `largest` first near maxPx, then
 * diameters (px) from a power law d^−slope on [minPx, maxPx] until their projected area
 * reaches `coverage` of the image (the large ones do not count, so small voids always come too).
 * Centres lie inside the foil (a void larger than the foil is cut by its surfaces, a hole).
 * Voids may touch and overlap in projection (at different depths); in 3-D they are rejected
 * when their centres are closer than 0.9× the sum of their half-widths a, so at most slightly
 * coalesced; the thickness deficit of overlapping voids is capped at the foil (addCavities).
 * A void whose projected centre lies well inside another's projection is rejected too (it
 * would hide in the larger one's plateau, and a label inside a label is a poor target).
 */
export function placeVoids(rng: Rng, fieldPx: number, pixelNm: number, thicknessNm: number, p: VoidParams, existing: Cavity[] = []): Cavity[] {
  const o = drawOrientation(rng, p.facets);
  const out: Cavity[] = [];
  const target = p.coverage * fieldPx * fieldPx;
  let area = 0;
  const inner: number[] = [];
  const margin = p.edgeMargin ?? -0.5;
  for (let attempt = 0; attempt < 20 * p.maxCount && out.length < p.maxCount && (out.length < p.largest || area < target); attempt++) {
    const dPx = out.length < p.largest ? (p.maxPx / 2.5) * 2.5 ** rng.next() : powerLaw(rng, p.minPx, p.maxPx, p.slope);
    const aNm = (dPx * pixelNm) / 2;
    const body = 2 * aNm < p.sphereBelowNm ? sphereBody(aNm) : drawPolyhedron(rng, p.facets, o, aNm);
    const zLo = Math.min(aNm, thicknessNm / 2), zHi = Math.max(thicknessNm - aNm, thicknessNm / 2);
    const c: Cavity = {
      cx: rng.uniform(margin * dPx, fieldPx - margin * dPx), cy: rng.uniform(margin * dPx, fieldPx - margin * dPx),
      depthNm: rng.uniform(zLo, zHi), radiusNm: aNm, faceted: body.normals.length > 0, sides: 0, angle: 0, body,
    };
    if (voidCollides(c, aNm, out, inner, pixelNm) || collides(c, existing, pixelNm)) continue;
    c.outlinePx = outlineOf(body, 0, 0, c.depthNm, thicknessNm, pixelNm);
    c.radiusNm = projectedRadiusPx(c.outlinePx, 0, 0) * pixelNm;
    out.push(c);
    inner.push(aNm);
    if (out.length > p.largest) area += Math.PI * (c.radiusNm / pixelNm) ** 2 * 0.8;
  }
  return out;
}

function voidCollides(c: Cavity, aNm: number, others: Cavity[], inner: number[], pixelNm: number): boolean {
  for (let i = 0; i < others.length; i++) {
    const o = others[i]!;
    const dxy = Math.hypot(c.cx - o.cx, c.cy - o.cy) * pixelNm, dz = c.depthNm - o.depthNm;
    if (Math.hypot(dxy, dz) < 0.9 * (aNm + inner[i]!)) return true;
    if (dxy < 0.6 * Math.max(o.radiusNm, aNm)) return true;
  }
  return false;
}

/** d on [lo, hi] with density ∝ d^−slope (inverse CDF). */
function powerLaw(rng: Rng, lo: number, hi: number, slope: number): number {
  const u = rng.next();
  if (Math.abs(slope - 1) < 1e-6) return lo * (hi / lo) ** u;
  const e = 1 - slope;
  return (lo ** e + u * (hi ** e - lo ** e)) ** (1 / e);
}

function collides(c: Cavity, others: Cavity[], pixelNm: number): boolean {
  for (const o of others) {
    const dx = (c.cx - o.cx) * pixelNm, dy = (c.cy - o.cy) * pixelNm, dz = c.depthNm - o.depthNm;
    const proj = Math.hypot(dx, dy);
    if (proj < Math.max(c.radiusNm, o.radiusNm)) return true;
    if (Math.hypot(proj, dz) < c.radiusNm + o.radiusNm + 0.5) return true;
  }
  return false;
}

/** Unit normals of a regular s-gon's edges, divided by its apothem (cached per shape). */
const gaugeCache = new Map<string, Float64Array>();
function gaugeNormals(sides: number, angle: number): Float64Array {
  const key = `${sides}:${angle}`;
  let g = gaugeCache.get(key);
  if (!g) {
    if (gaugeCache.size > 4096) gaugeCache.clear();
    const apothem = Math.cos(Math.PI / sides);
    g = new Float64Array(2 * sides);
    for (let i = 0; i < sides; i++) {
      const a = angle + ((i + 0.5) * 2 * Math.PI) / sides;
      g[2 * i] = Math.cos(a) / apothem; g[2 * i + 1] = Math.sin(a) / apothem;
    }
    gaugeCache.set(key, g);
  }
  return g;
}

/**
 * Rounded polygon gauge of a regular s-gon with circumradius 1: the 8-norm of the positive
 * edge distances, (Σ max(0, n_i·r/a)^8)^(1/8), which is 1 on a polygon with slightly rounded
 * corners (real facets meet in rounded edges, and a hard max() would put ridge lines into
 * the phase whose Laplacian images as a spurious star).
 */
export function polygonGauge(u: number, v: number, sides: number, angle: number): number {
  return gauge8(gaugeNormals(sides, angle), u, v);
}

function gauge8(g: Float64Array, u: number, v: number): number {
  let s = 0;
  for (let i = 0; i < g.length; i += 2) {
    const d = u * g[i]! + v * g[i + 1]!;
    if (d > 0) { const d2 = d * d, d4 = d2 * d2; s += d4 * d4; }
  }
  return Math.sqrt(Math.sqrt(Math.sqrt(s)));
}

/** Chord length (nm) through a cavity at offset (u, v) in units of its radius. */
export function cavityChord(c: Cavity, u: number, v: number): number {
  return chordFunction(c)(u, v);
}

/** The chord profile of one cavity as a function (edge normals looked up once). */
export function chordFunction(c: Cavity): (u: number, v: number) => number {
  const twoR = 2 * c.radiusNm;
  if (!c.faceted) {
    return (u, v) => { const rho2 = u * u + v * v; return rho2 >= 1 ? 0 : twoR * Math.sqrt(1 - rho2); };
  }
  const g = gaugeNormals(c.sides, c.angle);
  return (u, v) => {
    const m = gauge8(g, u, v);
    return m >= 1 ? 0 : twoR * Math.sqrt(1 - m * m);
  };
}

/**
 * Adds f(u, v) (u, v in units of rPx from the centre) to `field` over the disk of radius
 * rPx, pixel-averaged by s×s supersampling (s larger for small objects, to avoid aliasing).
 * Indices wrap modulo n: the FFT treats the field as periodic anyway, so an object crossing
 * an edge is written (and labelled, see labels.ts) consistently on both sides.
 */
export function stamp(field: Float32Array, n: number, cx: number, cy: number, rPx: number, f: (u: number, v: number) => number): void {
  const s = rPx < 3 ? 4 : rPx < 8 ? 2 : 1;
  const x0 = Math.floor(cx - rPx), x1 = Math.ceil(cx + rPx);
  const y0 = Math.floor(cy - rPx), y1 = Math.ceil(cy + rPx);
  const inv = 1 / rPx, w = 1 / (s * s);
  for (let y = y0; y <= y1; y++) {
    const row = wrap(y, n) * n;
    for (let x = x0; x <= x1; x++) {
      let acc = 0;
      for (let sy = 0; sy < s; sy++) {
        const v = (y + (sy + 0.5) / s - cy) * inv;
        for (let sx = 0; sx < s; sx++) acc += f((x + (sx + 0.5) / s - cx) * inv, v);
      }
      if (acc !== 0) { const i = row + wrap(x, n); field[i] = field[i]! + acc * w; }
    }
  }
}

/** Writes every cavity's phase and absorption change (file comment) into `obj`. */
export function addCavities(obj: LocalObject, cavities: Cavity[], pixelNm: number, sigma: number, p: CavityParams, absorptionNm: number, thicknessNm: number, work?: Float64Array): void {
  const kPhase = -sigma * p.v0 * (1 - p.fill);
  const bodies = cavities.filter((c) => c.body);
  if (bodies.length) addVoidBodies(obj, bodies, pixelNm, kPhase, absorptionNm, thicknessNm, work ?? new Float64Array(obj.n * obj.n), p.voids?.facets.edgeNm ?? 0);
  for (const c of cavities) {
    if (c.body) continue;
    const rPx = c.radiusNm / pixelNm;
    const chord = chordFunction(c);
    const w = depthWeight(c, thicknessNm);
    stamp(obj.phase, obj.n, c.cx, c.cy, rPx, (u, v) => w * kPhase * chord(u, v));
    stamp(obj.mu, obj.n, c.cx, c.cy, rPx, (u, v) => (-w * chord(u, v)) / absorptionNm);
  }
}

/**
 * Polyhedral voids: their path lengths are summed into `deficit` (n², overwritten; the
 * renderer lends a work buffer) and capped at 98 % of the foil, since voids overlapping in
 * projection cannot remove more than the foil there; then Δφ = kPhase·c and Δμ = −c/λ_abs.
 * Sampled 2×2 per pixel (4×4 below 3 px): walls parallel to the beam are phase steps, and one
 * sample per pixel would put staircase fringes along oblique edges.
 */
function addVoidBodies(obj: LocalObject, bodies: Cavity[], pixelNm: number, kPhase: number, absorptionNm: number, thicknessNm: number, deficit: Float64Array, edgeNm: number): void {
  const n = obj.n;
  deficit.fill(0, 0, n * n);
  const sigmaPx = edgeNm / pixelNm;
  const margin = Math.ceil(3 * sigmaPx);
  for (const c of bodies) {
    const b = c.body!, rPx = c.radiusNm / pixelNm + 1, z = c.depthNm;
    const s = rPx < 4 ? 4 : 2;
    const x0 = Math.floor(c.cx - rPx) - margin, x1 = Math.ceil(c.cx + rPx) + margin;
    const y0 = Math.floor(c.cy - rPx) - margin, y1 = Math.ceil(c.cy + rPx) + margin;
    const w = x1 - x0 + 1, h = y1 - y0 + 1;
    const local = new Float32Array(w * h);
    const inv = 1 / (s * s);
    for (let y = y0; y <= y1; y++) {
      for (let x = x0; x <= x1; x++) {
        let acc = 0;
        for (let sy = 0; sy < s; sy++) {
          const v = (y + (sy + 0.5) / s - c.cy) * pixelNm;
          for (let sx = 0; sx < s; sx++) acc += chordThrough(b, (x + (sx + 0.5) / s - c.cx) * pixelNm, v, z, thicknessNm);
        }
        local[(y - y0) * w + x - x0] = acc * inv;
      }
    }
    // Surface roughness / rounded walls: the deficit is smoothed over edgeNm (the margin keeps the blur inside the box).
    if (sigmaPx > 0.05) gaussianBlur(local, w, h, sigmaPx);
    for (let y = 0; y < h; y++) {
      const row = wrap(y + y0, n) * n;
      for (let x = 0; x < w; x++) { const v = local[y * w + x]!; if (v !== 0) deficit[row + wrap(x + x0, n)] += v; }
    }
  }
  const cap = 0.98 * thicknessNm;
  for (let i = 0; i < n * n; i++) {
    const d = deficit[i]!;
    if (d === 0) continue;
    const c = d < cap ? d : cap;
    obj.phase[i] = obj.phase[i]! + kPhase * c;
    obj.mu[i] = obj.mu[i]! - c / absorptionNm;
  }
}

/**
 * Depth fading (empirical; a single-slice model has no dynamical or inelastic blurring): small
 * cavities lose contrast with depth in the foil — 1 nm He bubbles fade beyond ~12 nm
 * (fresnel-physics.md, which does not say from which surface; we use the nearer one).
 * Weight exp(−s/ξ), s = distance to the nearer surface, ξ = 12 nm·(d/1 nm)²: 1 nm bubbles
 * fade over ~12 nm, 2 nm ones over ~50 nm, voids ≥ 4 nm barely (ξ ≥ 190 nm).
 */
export function depthWeight(c: Cavity, thicknessNm: number): number {
  const d = 2 * c.radiusNm;
  const s = Math.max(0, Math.min(c.depthNm, thicknessNm - c.depthNm));
  return Math.exp(-s / (12 * d * d));
}

/** Draws and writes the distractors over the whole n×n grid (they are never labelled). */
export function addDistractors(rng: Rng, obj: LocalObject, pixelNm: number, sigma: number, p: DistractorParams): void {
  const n = obj.n;
  const area = areaUm2(n, pixelNm);
  for (let i = rng.poisson(p.precipitatesPerUm2 * area); i > 0; i--) {
    const r = rng.uniform(p.precipitateDiameterNm[0], p.precipitateDiameterNm[1]) / 2;
    const dv = rng.uniform(3, 8);
    const cx = rng.uniform(0, n), cy = rng.uniform(0, n);
    const chord = (u: number, v: number): number => { const q = 1 - u * u - v * v; return q > 0 ? 2 * r * Math.sqrt(q) : 0; };
    stamp(obj.phase, n, cx, cy, r / pixelNm, (u, v) => sigma * dv * chord(u, v));
    stamp(obj.mu, n, cx, cy, r / pixelNm, (u, v) => chord(u, v) / 60);
  }
  for (let i = rng.poisson(p.loopsPerUm2 * area); i > 0; i--) {
    const r = rng.uniform(p.loopDiameterNm[0], p.loopDiameterNm[1]) / 2 / pixelNm;
    const [a0, a1] = p.loopAspect ?? [0.3, 1];
    addLoop(obj, rng.uniform(0, n), rng.uniform(0, n), r, rng.uniform(a0, a1), rng.uniform(0, Math.PI), 1.2 / pixelNm, rng.uniform(0.2, 0.5));
  }
  for (let i = rng.poisson(p.dislocationsPerUm2 * area); i > 0; i--) addDislocation(rng, obj, pixelNm, p.dislocationLengthNm ?? [50, 300], p.dislocationWidthNm ?? [0.6, 1.5]);
  // Specks: contamination and "black-dot" irradiation damage (tiny loops/clusters). Damage
  // clusters in patches, so 60 % of the dots gather around a few centres (15–40 nm spread).
  const nSpecks = rng.poisson(p.specksPerUm2 * area);
  const patches = Array.from({ length: 1 + Math.ceil(nSpecks / 40) }, () => ({ x: rng.uniform(0, n), y: rng.uniform(0, n), s: rng.uniform(15, 40) / pixelNm }));
  for (let i = nSpecks; i > 0; i--) {
    const r = rng.uniform(0.5, 1.5) / pixelNm;
    const a = rng.uniform(0.15, 0.4);
    const k = rng.next() < 0.6 ? patches[rng.int(patches.length)]! : null;
    const cx = k ? k.x + k.s * rng.normal() : rng.uniform(0, n), cy = k ? k.y + k.s * rng.normal() : rng.uniform(0, n);
    stamp(obj.mu, n, cx, cy, 2 * r, (u, v) => a * Math.exp(-4 * (u * u + v * v)));
    stamp(obj.phase, n, cx, cy, 2 * r, (u, v) => 0.3 * Math.exp(-4 * (u * u + v * v)));
  }
}

/** A dislocation loop seen inclined: an elliptical ring of strain contrast. */
function addLoop(obj: LocalObject, cx: number, cy: number, r: number, aspect: number, angle: number, widthPx: number, strength: number): void {
  const steps = Math.max(12, Math.ceil(2 * Math.PI * r));
  const ca = Math.cos(angle), sa = Math.sin(angle);
  for (let k = 0; k < steps; k++) {
    const t = (2 * Math.PI * k) / steps;
    const ex = r * Math.cos(t), ey = r * aspect * Math.sin(t);
    gaussDot(obj.mu, obj.n, cx + ex * ca - ey * sa, cy + ex * sa + ey * ca, widthPx, strength / Math.max(1, steps / (2 * Math.PI * r)));
  }
}

/**
 * A dislocation line: a smooth random walk (default 50–300 nm long), dark (strain contrast),
 * 0.6–1.5 nm wide by default. Dots are laid every half width (enough for a smooth line) with strength × step.
 */
function addDislocation(rng: Rng, obj: LocalObject, pixelNm: number, lengthNm: [number, number], widthNm: [number, number]): void {
  const lengthPx = rng.uniform(lengthNm[0], lengthNm[1]) / pixelNm;
  const widthPx = Math.max(0.7, rng.uniform(widthNm[0], widthNm[1]) / pixelNm);
  const strength = rng.uniform(0.15, 0.4);
  const step = Math.max(1, widthPx / 2);
  let x = rng.uniform(0, obj.n), y = rng.uniform(0, obj.n), dir = rng.uniform(0, 2 * Math.PI);
  let turn = 0;
  for (let s = 0; s < lengthPx; s += step) {
    gaussDot(obj.mu, obj.n, x, y, widthPx, strength * step);
    turn = 0.9 * turn + 0.02 * step * rng.normal();
    dir += turn;
    x += step * Math.cos(dir); y += step * Math.sin(dir);
  }
}

/**
 * Adds a Gaussian dot of 1/e half-width w (px), normalised so that a chain of dots one pixel
 * apart gives a line of peak `strength` (a line integral of the dot is strength). The
 * Gaussian is separable: exp(−dx²/w²)·exp(−dy²/w²), so only 2·(4w+1) exponentials per dot.
 */
function gaussDot(field: Float32Array, n: number, cx: number, cy: number, w: number, strength: number): void {
  const rad = Math.ceil(2 * w);
  const amp = strength / (w * Math.sqrt(Math.PI));
  const x0 = Math.floor(cx - rad), x1 = Math.ceil(cx + rad);
  const y0 = Math.floor(cy - rad), y1 = Math.ceil(cy + rad);
  const inv = 1 / (w * w);
  const gx = new Float64Array(x1 - x0 + 1);
  for (let x = x0; x <= x1; x++) { const dx = x + 0.5 - cx; gx[x - x0] = Math.exp(-dx * dx * inv); }
  for (let y = y0; y <= y1; y++) {
    const dy = y + 0.5 - cy;
    const gy = amp * Math.exp(-dy * dy * inv);
    const row = wrap(y, n) * n;
    for (let x = x0; x <= x1; x++) {
      const i = row + wrap(x, n);
      field[i] = field[i]! + gy * gx[x - x0]!;
    }
  }
}

/** Index modulo n (periodic field). */
function wrap(i: number, n: number): number {
  return i >= 0 && i < n ? i : ((i % n) + n) % n;
}
