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
  /** Standard normal N(0,1) (Box–Muller, one value per call). */
  normal(): number;
  /** Log-normal with the given median and log-space sigma: median·exp(sigma·N(0,1)). */
  logNormal(median: number, sigma: number): number;
  /** Poisson count with the given mean (see poisson() for the method). */
  poisson(mean: number): number;
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
  let a = sm(), b = sm(), c = sm(), d = sm();
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) u32();
  const next = (): number => u32() / 4294967296;
  const normal = (): number => {
    const u1 = 1 - next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * next());
  };
  const rng: Rng = {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (n) => Math.floor(next() * n),
    normal,
    logNormal: (median, sigma) => median * Math.exp(sigma * normal()),
    poisson: (mean) => poisson(mean, next, normal),
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
