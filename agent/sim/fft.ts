/**
 * Complex FFT written for the simulator (no maintained npm FFT is installed; this one is
 * tested against a naive DFT in test/sim/fft.test.ts and timed in bench/sim.bench.ts).
 *
 * Iterative decimation in time on split real/imaginary Float64Arrays (radix-2 for 1-D;
 * radix-4 for the column passes of 2-D transforms), bit-reversal permutation and twiddles
 * cached per size. Convention:
 *   forward  X[k] = Σ_n x[n]·exp(-2πi·k·n/N)
 *   inverse  x[n] = (1/N)·Σ_k X[k]·exp(+2πi·k·n/N)
 * 2-D transforms are columns, transpose, columns: `fft2T` leaves the spectrum TRANSPOSED
 * (index kx*n+ky) and `ifft2T` takes a transposed spectrum back to real space, which saves
 * two transposes per forward/inverse pair. The caller multiplies
 * the transposed spectrum by a transfer function evaluated with swapped axes.
 */

interface Plan { n: number; rev: Uint32Array; cos: Float64Array; sin: Float64Array }
const plans = new Map<number, Plan>();

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

function plan(n: number): Plan {
  let p = plans.get(n);
  if (p) return p;
  if (!isPowerOfTwo(n)) throw new Error(`FFT size must be a power of two, got ${n}`);
  const bits = Math.round(Math.log2(n));
  const rev = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let b = 0; b < bits; b++) r |= ((i >>> b) & 1) << (bits - 1 - b);
    rev[i] = r;
  }
  const cos = new Float64Array(n / 2);
  const sin = new Float64Array(n / 2);
  for (let i = 0; i < n / 2; i++) { cos[i] = Math.cos((2 * Math.PI * i) / n); sin[i] = Math.sin((2 * Math.PI * i) / n); }
  p = { n, rev, cos, sin };
  plans.set(n, p);
  return p;
}

/**
 * In-place 1-D FFT of re/im[off .. off+n). `inverse` flips the twiddle sign and scales by 1/n.
 */
export function fft1(re: Float64Array, im: Float64Array, n: number, off = 0, inverse = false): void {
  const { rev, cos, sin } = plan(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i]!;
    if (j > i) {
      const a = off + i, b = off + j;
      let t = re[a]!; re[a] = re[b]!; re[b] = t;
      t = im[a]!; im[a] = im[b]!; im[b] = t;
    }
  }
  const sgn = inverse ? 1 : -1;
  for (let size = 2; size <= n; size <<= 1) {
    const half = size >>> 1;
    const step = n / size;
    for (let start = off; start < off + n; start += size) {
      for (let k = 0, t = 0; k < half; k++, t += step) {
        const wr = cos[t]!, wi = sgn * sin[t]!;
        const a = start + k, b = a + half;
        const xr = re[b]!, xi = im[b]!;
        const tr = xr * wr - xi * wi;
        const ti = xr * wi + xi * wr;
        const ar = re[a]!, ai = im[a]!;
        re[b] = ar - tr; im[b] = ai - ti;
        re[a] = ar + tr; im[a] = ai + ti;
      }
    }
  }
  if (inverse) {
    const s = 1 / n;
    for (let i = off; i < off + n; i++) { re[i] = re[i]! * s; im[i] = im[i]! * s; }
  }
}

/** Square transpose in place (n×n), blocked for cache locality. */
export function transpose(a: Float64Array, n: number): void {
  const B = 32;
  for (let bi = 0; bi < n; bi += B) {
    for (let bj = bi; bj < n; bj += B) {
      for (let i = bi; i < Math.min(bi + B, n); i++) {
        for (let j = Math.max(bj, i + 1); j < Math.min(bj + B, n); j++) {
          const p = i * n + j, q = j * n + i;
          const t = a[p]!; a[p] = a[q]!; a[q] = t;
        }
      }
    }
  }
}

/**
 * 1-D FFTs along y of every column of an n×n row-major field at once. The butterflies run
 * over whole rows (contiguous, one twiddle per row pair), which is several times faster in
 * V8 than n separate strided or row-wise transforms.
 */
export function fftColumns(re: Float64Array, im: Float64Array, n: number, inverse: boolean): void {
  const strip = Math.min(n, STRIP);
  for (let x0 = 0; x0 < n; x0 += strip) fftColumnStrip(re, im, n, x0, strip, inverse);
  if (inverse) {
    const s = 1 / n;
    for (let i = 0; i < n * n; i++) { re[i] = re[i]! * s; im[i] = im[i]! * s; }
  }
}

/**
 * Columns are transformed in strips of STRIP columns so the working set (n·STRIP complex
 * values) stays in the L2 cache through all log2(n) stages; the full field does not.
 */
const STRIP = 32;

function fftColumnStrip(re: Float64Array, im: Float64Array, n: number, x0: number, w: number, inverse: boolean): void {
  const { rev, cos, sin } = plan(n);
  for (let i = 0; i < n; i++) {
    const j = rev[i]!;
    if (j > i) { swapRows(re, i * n + x0, j * n + x0, w); swapRows(im, i * n + x0, j * n + x0, w); }
  }
  const sgn = inverse ? 1 : -1;
  let h = 1;
  if (Math.round(Math.log2(n)) % 2 === 1) {
    // Odd number of stages: one radix-2 stage first (all twiddles are 1).
    for (let start = 0; start < n; start += 2) butterflyUnit(re, im, start * n + x0, (start + 1) * n + x0, w);
    h = 2;
  }
  // Then pairs of radix-2 stages (h, 2h) fused into radix-4 butterflies over rows
  // s+k, s+k+h, s+k+2h, s+k+3h: each element is loaded and stored once per two stages.
  for (; h < n; h *= 4) {
    const step2 = n / (2 * h), step4 = n / (4 * h);
    for (let start = 0; start < n; start += 4 * h) {
      for (let k = 0; k < h; k++) {
        const r0 = (start + k) * n + x0;
        radix4(re, im, r0, h * n, w, cos[k * step2]!, sgn * sin[k * step2]!, cos[k * step4]!, sgn * sin[k * step4]!, sgn);
      }
    }
  }
}

/**
 * Two fused DIT stages on rows r0, r0+d, r0+2d, r0+3d (strip width w):
 *   y0 = x0 + a·x1, y1 = x0 − a·x1, y2 = x2 + a·x3, y3 = x2 − a·x3      (a = W_2h^k)
 *   z0 = y0 + b·y2, z2 = y0 − b·y2, z1 = y1 + c·y3, z3 = y1 − c·y3       (b = W_4h^k, c = b·(sgn·i))
 */
function radix4(re: Float64Array, im: Float64Array, r0: number, d: number, w: number, ar: number, ai: number, br: number, bi: number, sgn: number): void {
  const cr = -sgn * bi, ci = sgn * br;
  for (let x = 0; x < w; x++) {
    const p0 = r0 + x, p1 = p0 + d, p2 = p1 + d, p3 = p2 + d;
    const x1r = re[p1]!, x1i = im[p1]!, x3r = re[p3]!, x3i = im[p3]!;
    const t1r = x1r * ar - x1i * ai, t1i = x1r * ai + x1i * ar;
    const t3r = x3r * ar - x3i * ai, t3i = x3r * ai + x3i * ar;
    const x0r = re[p0]!, x0i = im[p0]!, x2r = re[p2]!, x2i = im[p2]!;
    const y0r = x0r + t1r, y0i = x0i + t1i, y1r = x0r - t1r, y1i = x0i - t1i;
    const y2r = x2r + t3r, y2i = x2i + t3i, y3r = x2r - t3r, y3i = x2i - t3i;
    const u2r = y2r * br - y2i * bi, u2i = y2r * bi + y2i * br;
    const u3r = y3r * cr - y3i * ci, u3i = y3r * ci + y3i * cr;
    re[p0] = y0r + u2r; im[p0] = y0i + u2i;
    re[p2] = y0r - u2r; im[p2] = y0i - u2i;
    re[p1] = y1r + u3r; im[p1] = y1i + u3i;
    re[p3] = y1r - u3r; im[p3] = y1i - u3i;
  }
}

function swapRows(a: Float64Array, p: number, q: number, w: number): void {
  for (let x = 0; x < w; x++, p++, q++) { const t = a[p]!; a[p] = a[q]!; a[q] = t; }
}

function butterflyUnit(re: Float64Array, im: Float64Array, a0: number, b0: number, n: number): void {
  for (let x = 0; x < n; x++) {
    const a = a0 + x, b = b0 + x;
    const ar = re[a]!, ai = im[a]!, br = re[b]!, bi = im[b]!;
    re[a] = ar + br; im[a] = ai + bi; re[b] = ar - br; im[b] = ai - bi;
  }
}


/**
 * Forward 2-D FFT of an n×n row-major field, result TRANSPOSED: afterwards index
 * kx*n + ky holds X[ky][kx] (ky = row frequency, kx = column frequency).
 */
export function fft2T(re: Float64Array, im: Float64Array, n: number): void {
  fftColumns(re, im, n, false);
  transpose(re, n); transpose(im, n);
  fftColumns(re, im, n, false);
}

/** Inverse of fft2T: takes the transposed spectrum, returns the field in row-major order. */
export function ifft2T(re: Float64Array, im: Float64Array, n: number): void {
  fftColumns(re, im, n, true);
  transpose(re, n); transpose(im, n);
  fftColumns(re, im, n, true);
}

/** Plain forward 2-D FFT (spectrum in normal row-major order), for tests and analysis. */
export function fft2(re: Float64Array, im: Float64Array, n: number): void {
  fft2T(re, im, n);
  transpose(re, n); transpose(im, n);
}
