/**
 * The image pyramid of the dense detect path: a network finds objects of a certain size at its
 * own scale (the model's object_px), so a 400 px void is looked for at 1/4 scale, where it is
 * a 100 px one, instead of being cut into fragments at full scale. This file chooses the
 * levels, halves the frame, and merges the levels' instances into one per object.
 */
import type { Detection, Mask } from '../types.js';
import { areaOf, circularityOf } from './features.js';

/** The coarsest level keeps at least this many pixels along its shorter side. */
const MIN_LEVEL_SIDE = 96;

/**
 * A coarse instance that holds this many round finer ones, covering at least CLUSTER_COVER of it,
 * is a cluster of small objects, not one large one. The cover tells the two apart where the count
 * does not: the 16 small cavities of a simulated real-background frame that merged at 1/8 scale
 * cover 0.29 of their blob; the 14 compact pieces the full scale cut a 200 px faceted void's rim
 * into (real 00216) cover 0.10 of the void, which was dropped as a "cluster" and left in pieces.
 */
const CLUSTER = 8;
const CLUSTER_COVER = 0.2;

/** Heywood circularity (features.ts) up to which a finer instance counts as a round object of its own; the arcs a large void's rim breaks into at full scale are far above it. */
const ROUND = 1.3;

/**
 * Touching objects that a coarse level merged: at least two finer instances, each round to within
 * PART_ROUND (a disc ~1.01-1.05, a square 1.13; a pixel half disc, what one void cut in two
 * gives, 1.16-1.20), each at least PART_SHARE of the coarse instance, together covering
 * PART_COVER of it. Seen on the real 666² set: pairs of 50-80 px faceted voids found one by one
 * at full or half scale came out as one box at quarter scale; a void that the half level cut at
 * a false neck covered 0.76 of its quarter-scale whole and stays whole (00085).
 */
const PART_ROUND = 1.15;
const PART_SHARE = 0.25;
const PART_COVER = 0.85;

/**
 * A finer instance with at least this share of its pixels inside a coarse one, grown by one coarse
 * pixel (grown), is the same object or a fragment of it. Without the growth the rim pieces and
 * duplicates that full scale finds against a void's edge fell just outside its coarse mask and
 * stayed as false detections beside it (real 04_03: 41 detections, 37 with it).
 */
const INSIDE = 0.5;

/**
 * Levels (1 = full scale only) so that objects up to `maxObjectPx` across fall in the model's
 * range at some level: level k sees them 2^k times smaller.
 */
export function pyramidLevels(width: number, height: number, objectHi: number, maxObjectPx: number): number {
  let levels = 1;
  while (objectHi * 2 ** (levels - 1) < maxObjectPx && Math.min(width, height) / 2 ** levels >= MIN_LEVEL_SIDE) levels++;
  return levels;
}

/** Half size (rounded up: ceil(width/2) x ceil(height/2), into `data`) by 2x2 means; a last odd row or column repeats its edge. */
export function halve(src: Float32Array, width: number, height: number, data: Float32Array): Float32Array {
  const w = Math.ceil(width / 2), h = Math.ceil(height / 2);
  for (let y = 0; y < h; y++) {
    const r0 = 2 * y * width, r1 = Math.min(2 * y + 1, height - 1) * width;
    const o = y * w;
    for (let x = 0; x < w; x++) {
      const x0 = 2 * x, x1 = Math.min(2 * x + 1, width - 1);
      data[o + x] = 0.25 * (src[r0 + x0]! + src[r0 + x1]! + src[r1 + x0]! + src[r1 + x1]!);
    }
  }
  return data;
}

/** Equivalent-circle diameter of `area` pixels. */
const diameter = (area: number): number => 2 * Math.sqrt(area / Math.PI);

/** A level-k detection in full-scale pixels: box times f, mask upsampled (nearest), clipped to the frame. */
export function upscale(d: Detection, f: number, width: number, height: number): Detection {
  if (f === 1) return d;
  const [x1, y1, x2, y2] = d.box;
  const box: Detection['box'] = [x1 * f, y1 * f, Math.min(width, x2 * f), Math.min(height, y2 * f)];
  if (!d.mask) return { ...d, box };
  const m = d.mask;
  const w = box[2] - box[0], h = box[3] - box[1];
  const data = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const sr = Math.floor(y / f) * m.width;
    for (let x = 0; x < w; x++) data[y * w + x] = m.data[sr + Math.floor(x / f)]!;
  }
  const mask: Mask = { x0: box[0], y0: box[1], width: w, height: h, data };
  return { ...d, box, mask };
}

/**
 * `d` with its mask dilated by `r` pixels (a square of 2r+1), box grown to match. An upscaled
 * coarse mask is uncertain at its rim by the level's factor in pixels; grown by that much, it
 * holds the finer instances that lie against the rim, as the coarse level itself would see
 * them (mergeLevels).
 */
export function grown(d: Detection, r: number): Detection {
  if (!d.mask || r <= 0) return d;
  const m = d.mask, w = m.width + 2 * r, h = m.height + 2 * r;
  const rows = new Uint8Array(w * m.height);
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      if (!m.data[y * m.width + x]) continue;
      rows.fill(1, y * w + x, y * w + x + 2 * r + 1);
    }
  }
  const data = new Uint8Array(w * h);
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < w; x++) {
      if (!rows[y * w + x]) continue;
      for (let k = y; k <= y + 2 * r; k++) data[k * w + x] = 1;
    }
  }
  const [x1, y1, x2, y2] = d.box;
  const mask: Mask = { x0: m.x0 - r, y0: m.y0 - r, width: w, height: h, data };
  return { ...d, box: [x1 - r, y1 - r, x2 + r, y2 + r], mask };
}

/** Pixels of `a` that are also in `b` (both in full-scale pixels). */
function overlap(a: Detection, b: Detection): number {
  const x0 = Math.max(a.box[0], b.box[0]), y0 = Math.max(a.box[1], b.box[1]);
  const x1 = Math.min(a.box[2], b.box[2]), y1 = Math.min(a.box[3], b.box[3]);
  if (x0 >= x1 || y0 >= y1) return 0;
  if (!a.mask || !b.mask) return (x1 - x0) * (y1 - y0);
  const am = a.mask, bm = b.mask;
  let n = 0;
  for (let y = y0; y < y1; y++) {
    const ar = (y - am.y0) * am.width - am.x0, br = (y - bm.y0) * bm.width - bm.x0;
    for (let x = x0; x < x1; x++) n += am.data[ar + x]! & bm.data[br + x]!;
  }
  return n;
}

/**
 * A coarse level keeps objects at least objectHi / COARSE_FROM across at its own scale. At 2 (only
 * objects too large for the level below) the half level's clear 40-60 px cavities that full scale
 * missed in noise were dropped (real 800H-H07_0068: 12 of 12 looked at, whole); at 4 they are kept,
 * and mergeLevels still prefers a finer instance of the same object (docs/detector/README.md).
 */
const COARSE_FROM = 4;

/**
 * Whether a component of level `factor` (in that level's pixels) is an object for this level:
 * at a coarse level, one of at least objectHi / COARSE_FROM px; smaller ones are the finer
 * level's, seen there in more detail.
 */
export function largeForLevel(d: Detection, factor: number, objectHi: number): boolean {
  return factor === 1 || diameter(areaOf(d)) >= objectHi / COARSE_FROM;
}

/**
 * One level's instances, already in full-scale pixels, and the level's factor (1, 2, 4, ...).
 * A coarse level's are those largeForLevel kept (or the parts split.ts cut them into).
 */
export interface LevelDetections { factor: number; detections: Detection[] }

/** An instance already placed, at the level it came from. */
interface Placed { d: Detection; factor: number; area: number }

/** A finer instance inside a coarse one, with the pixels they share and its circularity, each measured once. */
interface Inside { m: Placed; shared: number; circ: number }

/** Whether the finer instances inside a coarse one of `area` pixels are a cluster of small objects (CLUSTER, CLUSTER_COVER). */
function isCluster(inside: Inside[], area: number): boolean {
  const round = inside.filter((i) => i.circ <= ROUND);
  return round.length >= CLUSTER && round.reduce((s, i) => s + i.shared, 0) >= CLUSTER_COVER * area;
}

/** Whether the finer instances inside a coarse one of `area` pixels are whole touching objects (PART_*), not its fragments. */
function touchingObjects(inside: Inside[], area: number): boolean {
  const parts = inside.filter((i) => i.m.area >= PART_SHARE * area && i.circ <= PART_ROUND);
  return parts.length >= 2 && parts.reduce((s, i) => s + i.shared, 0) >= PART_COVER * area;
}

/**
 * One instance per object across levels, finest first. A coarse level's object replaces the
 * finer instances lying inside it when they are fragments of it (one of them is under 60 % of
 * its area) or were themselves too large for their level. It is dropped instead when those finer
 * instances are a cluster of small cavities that merges into one blob at low resolution
 * (isCluster), or touching objects found whole below it (touchingObjects), or when the finer
 * instance already is the same object at full detail.
 */
export function mergeLevels(levels: LevelDetections[], objectHi: number): Detection[] {
  const [finest, ...coarser] = [...levels].sort((a, b) => a.factor - b.factor);
  if (!finest) return [];
  let merged: Placed[] = finest.detections.map((d) => ({ d, factor: finest.factor, area: areaOf(d) }));
  for (const { factor, detections } of coarser) {
    const added: Placed[] = [];
    for (const d of detections) {
      const area = areaOf(d), reach = grown(d, factor);
      const inside: Inside[] = [];
      for (const m of merged) {
        if (overlap(m.d, reach) < INSIDE * m.area) continue;
        inside.push({ m, shared: overlap(m.d, d), circ: circularityOf(m.d) });
      }
      if (isCluster(inside, area) || touchingObjects(inside, area)) continue;
      const replaces = inside.some(({ m }) => m.area < 0.6 * area || diameter(m.area) / m.factor > objectHi);
      if (inside.length > 0 && !replaces) continue;
      if (replaces) { const gone = new Set(inside.map((i) => i.m)); merged = merged.filter((m) => !gone.has(m)); }
      added.push({ d, factor, area });
    }
    merged.push(...added);
  }
  return merged.map((m) => m.d);
}
