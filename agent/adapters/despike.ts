/**
 * Single-pixel spikes (X-ray hits on the camera, hot and dead pixels), with the charge they spread
 * into their neighbours, replaced by the background around them before the model sees the frame,
 * as DigitalMicrograph's "Remove X-rays" or HyperSpy's spikes_removal do. The bundled U-Net turns a one- or two-pixel spike into a
 * confident 10-20 px "cavity" (real 9_200K.png: 11 of its 37 detections). A pixel is a spike when
 * it stands more than `k` noise sigmas (Immerkaer's, of the central window) above, or below, seven
 * of its eight neighbours: a threshold on the median alone also cut the edges of real 2-4 px
 * bubbles in the sharp, JPEG-flattened 512^2 images (thousands of pixels each). It must also stand
 * more than a fraction F of the model's input range (the frame's normalisation percentiles) above
 * them: where the camera blurs the noise, Immerkaer's sigma is a fraction of the pixel noise and
 * 16 sigmas alone took the bright centres of small simulated fe-insitu cavities (F1 0.868 ->
 * 0.856). Real spikes stood 0.40-2.9 of the range, those centres at most 0.29. Set per model
 * by metadata temguard.despike "K,F" (off when absent).
 */
import { ModelError } from './model-error.js';
import { frameNoise } from './denoise.js';

export interface DespikeSpec {
  /** A spike stands more than k noise sigmas beyond seven of its eight neighbours... */
  k: number;
  /** ...and more than this fraction of the model's input range (its normalisation percentiles). */
  range: number;
}

/**
 * Parses temguard.despike "K,F" (K >= 3 noise sigmas: below that, noise itself would be
 * "spikes"; 0 <= F <= 1 of the model's input range); undefined = off.
 */
export function parseDespikeSpec(raw: string | undefined): DespikeSpec | null {
  if (raw === undefined) return null;
  const m = /^\s*([0-9.]+)\s*,\s*([0-9.]+)\s*$/.exec(raw);
  const k = m ? Number(m[1]) : NaN, range = m ? Number(m[2]) : NaN;
  if (!(k >= 3 && k <= 100 && range >= 0 && range <= 1)) {
    throw new ModelError(`unet: metadata temguard.despike="${raw}" should be "K,F": K noise sigmas from 3 to 100, F a fraction of the input range from 0 to 1`);
  }
  return { k, range };
}

/** A halo pixel stands this many noise sigmas beyond the background: noise alone does so about once in 700 pixels. */
const HALO_SIGMAS = 3;

/** How many of the 8 neighbours of (x, y) (edges replicated, so a border pixel counts itself) lie below `lo` or above `hi`. */
function neighboursOutside(data: Float32Array, width: number, height: number, x: number, y: number, lo: number, hi: number): [number, number] {
  let below = 0, above = 0;
  for (let dy = -1; dy <= 1; dy++) {
    const row = Math.min(height - 1, Math.max(0, y + dy)) * width;
    for (let dx = -1; dx <= 1; dx++) {
      if (dx === 0 && dy === 0) continue;
      const n = data[row + Math.min(width - 1, Math.max(0, x + dx))]!;
      if (n < lo) below++; else if (n > hi) above++;
    }
  }
  return [below, above];
}

/**
 * Indices of the spikes: pixels more than `t` above (below) at least 7 of their 8 neighbours, so
 * one- and two-pixel spikes. The edge of anything larger has at least two neighbours of its own
 * brightness, and a frame's noise, JPEG-flattened or not, does not stand `t` above its
 * neighbourhood. A spike has at least three of its four edge neighbours more than `t` off: the
 * cheap test that passes over almost every pixel.
 */
export function findSpikes(data: Float32Array, width: number, height: number, t: number): number[] {
  const spikes: number[] = [];
  for (let y = 0; y < height; y++) {
    const up = Math.max(0, y - 1) * width, row = y * width, down = Math.min(height - 1, y + 1) * width;
    for (let x = 0; x < width; x++) {
      const v = data[row + x]!;
      const l = data[row + (x > 0 ? x - 1 : 0)]!, r = data[row + (x < width - 1 ? x + 1 : x)]!;
      const u = data[up + x]!, d = data[down + x]!;
      const lo = v - t, hi = v + t;
      const below = +(l < lo) + +(r < lo) + +(u < lo) + +(d < lo), above = +(l > hi) + +(r > hi) + +(u > hi) + +(d > hi);
      if (below < 3 && above < 3) continue;
      const [b, a] = neighboursOutside(data, width, height, x, y, lo, hi);
      if (b >= 7 || a >= 7) spikes.push(row + x);
    }
  }
  return spikes;
}

/** How far a spike stands from its neighbours, in frame values: k noise sigmas, and at least F of the input range. */
export function spikeThreshold(spec: DespikeSpec, sigma: number, inputRange: number): number {
  return Math.max(spec.k * sigma, spec.range * inputRange);
}

/** The median of the 16 pixels at Chebyshev distance 2 from (x, y), edges replicated: the background beyond a spike's halo. */
function ringMedian(data: Float32Array, width: number, height: number, x: number, y: number): number {
  const v: number[] = [];
  for (let dy = -2; dy <= 2; dy++) {
    const row = Math.min(height - 1, Math.max(0, y + dy)) * width;
    for (let dx = -2; dx <= 2; dx++) {
      if (Math.abs(dx) === 2 || Math.abs(dy) === 2) v.push(data[row + Math.min(width - 1, Math.max(0, x + dx))]!);
    }
  }
  v.sort((a, b) => a - b);
  return (v[7]! + v[8]!) / 2;
}

/**
 * Writes the background over a spike and over its halo: the pixels of its 3x3 that stand more
 * than `halo` beyond the background on the spike's side. A real X-ray hit spreads charge into
 * its neighbours (9_200K.png: a 169 peak on a 2x2 of 126-129 over a background of 88); taking
 * the peak alone left a three-pixel blob the model still called a cavity at 0.97.
 */
function eraseSpike(data: Float32Array, clean: Float32Array, width: number, height: number, i: number, halo: number): void {
  const x = i % width, y = Math.floor(i / width);
  const b = ringMedian(data, width, height, x, y);
  const sign = data[i]! > b ? 1 : -1;
  for (let yy = Math.max(0, y - 1); yy <= Math.min(height - 1, y + 1); yy++) {
    for (let xx = Math.max(0, x - 1); xx <= Math.min(width - 1, x + 1); xx++) {
      const j = yy * width + xx;
      if (j === i || sign * (data[j]! - b) > halo) clean[j] = b;
    }
  }
}

/**
 * The frame's pixels with its spikes and their halos replaced by the background around them
 * (`inputRange`: the span of frame values the model's input covers), in
 * `out()` when there are any (backgrounds taken from the original pixels), else the frame's own
 * array (no copy); `spikes` counts the spikes.
 */
export function despikeFrame(frame: { data: Float32Array; width: number; height: number }, spec: DespikeSpec | null, inputRange: number, out: () => Float32Array): { data: Float32Array; spikes?: number } {
  const { data, width, height } = frame;
  if (!spec) return { data };
  const sigma = frameNoise(data, width, height, 1);
  if (!(sigma > 0)) return { data, spikes: 0 };
  const spikes = findSpikes(data, width, height, spikeThreshold(spec, sigma, inputRange));
  if (spikes.length === 0) return { data, spikes: 0 };
  const clean = out();
  clean.set(data);
  for (const i of spikes) eraseSpike(data, clean, width, height, i, HALO_SIGMAS * sigma);
  return { data: clean, spikes: spikes.length };
}
