/**
 * Seeded pseudo-random numbers for the simulator. Every random choice of a render comes
 * from one Rng built from the seed, so equal seeds give equal bytes (no Math.random).
 *
 * Generator: sfc32 (Chris Doty-Humphrey's Small Fast Chaotic PRNG, 128-bit state, passes
 * PractRand), seeded through splitmix32 so nearby seeds give unrelated streams.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Standard normal N(0,1) (Box–Muller). */
  normal(): number;
  /** Log-normal with the given median and log-space sigma: median·exp(sigma·N(0,1)). */
  logNormal(median: number, sigma: number): number;
  /** Poisson count with the given mean (see poisson() for the method). */
  poisson(mean: number): number;
  /**
   * Approximate N(0,1) from one uniform through a 16384-entry inverse-CDF table with linear
   * interpolation: ~5× cheaper than Box–Muller, exact to < 1e-3 in the body, tails clipped
   * at ±3.9σ. Used for per-pixel shot noise, where only mean and variance matter.
   */
  fastNormal(): number;
  /** An independent stream derived from this one (for sub-tasks whose draw count varies). */
  fork(): Rng;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Builds the generator; `seed` may be any finite number (it is folded to 32 bits twice). */
export function createRng(seed: number): Rng {
  const hi = Math.floor(seed / 4294967296) >>> 0;
  const sm = splitmix32((seed >>> 0) ^ Math.imul(hi, 0x27d4eb2d));
  // State in a typed array: 32-bit values kept in closure variables would be boxed as heap
  // numbers on every update (they exceed V8's small-integer range), ~10× slower.
  const st = new Uint32Array([sm(), sm(), sm(), sm()]);
  const u32 = (): number => {
    const a = st[0]!, b = st[1]!, c = st[2]!, d = st[3]!;
    const t = (a + b + d) >>> 0;
    st[3] = d + 1;
    st[0] = b ^ (b >>> 9);
    st[1] = c + (c << 3);
    const c2 = (c << 21) | (c >>> 11);
    st[2] = c2 + t;
    return t;
  };
  for (let i = 0; i < 12; i++) u32();
  const next = (): number => u32() / 4294967296;
  // Box–Muller gives two independent normals per pair of uniforms; the second is kept.
  let spare = 0, hasSpare = false;
  const normal = (): number => {
    if (hasSpare) { hasSpare = false; return spare; }
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const a = 2 * Math.PI * next();
    spare = r * Math.sin(a);
    hasSpare = true;
    return r * Math.cos(a);
  };
  const rng: Rng = {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (n) => Math.floor(next() * n),
    normal,
    logNormal: (median, sigma) => median * Math.exp(sigma * normal()),
    poisson: (mean) => poisson(mean, next, normal),
    fastNormal: () => {
      const x = next() * (NORMAL_TABLE_SIZE - 1);
      const i = x | 0;
      const a = NORMAL_TABLE[i]!;
      return a + (NORMAL_TABLE[i + 1]! - a) * (x - i);
    },
    fork: () => createRng(u32() * 4294967296 + u32()),
  };
  return rng;
}

/**
 * Poisson sample. Small means (< 30): Knuth's product of uniforms, exact. Larger means:
 * the normal approximation round(mean + sqrt(mean)·N(0,1)) clipped at 0, whose variance
 * equals the mean to within 1/(12·mean) — adequate for shot noise and O(1) per pixel.
 */
export function poisson(mean: number, next: () => number, normal: () => number): number {
  if (!(mean > 0)) return 0;
  if (mean < 30) {
    const l = Math.exp(-mean);
    let k = 0;
    let p = next();
    while (p > l) { k++; p *= next(); }
    return k;
  }
  const v = Math.round(mean + Math.sqrt(mean) * normal());
  return v < 0 ? 0 : v;
}

const NORMAL_TABLE_SIZE = 16385;
/** Inverse normal CDF on an even grid of probabilities (Acklam), built once. */
const NORMAL_TABLE: Float64Array = (() => {
  const t = new Float64Array(NORMAL_TABLE_SIZE);
  for (let i = 0; i < NORMAL_TABLE_SIZE; i++) t[i] = inverseNormalCdf((i + 0.5) / NORMAL_TABLE_SIZE);
  // Rescale so the table's own variance (as sampled by linear interpolation) is 1.
  let s2 = 0;
  for (let i = 0; i < NORMAL_TABLE_SIZE; i++) s2 += t[i]! * t[i]!;
  const k = 1 / Math.sqrt(s2 / NORMAL_TABLE_SIZE);
  for (let i = 0; i < NORMAL_TABLE_SIZE; i++) t[i] = t[i]! * k;
  return t;
})();

/** Acklam's inverse normal CDF (relative error < 1.2e-9). */
export function inverseNormalCdf(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -inverseNormalCdf(1 - p);
  const q = p - 0.5, r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}
