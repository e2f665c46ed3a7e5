/**
 * Azimuthally averaged intensity around a point: the measurement the defocus fit compares
 * with the simulator. Bins are annuli of width `binPx` from the centre out to `rOutPx`;
 * pixel (x, y) has its centre at (x + 0.5, y + 0.5), the convention of the boxes and masks.
 */

export interface ProfileBins {
  binPx: number;
  count: number;
}

export interface RadialProfile {
  /** Mean intensity per annulus (NaN where no pixel fell in it). */
  mean: Float64Array;
  /** Pixels per annulus: the fit weights bins by them. */
  n: Float64Array;
}

/** Annuli of width `binPx` covering radius 0..rOutPx. */
export function profileBins(rOutPx: number, binPx: number): ProfileBins {
  return { binPx, count: Math.max(1, Math.ceil(rOutPx / binPx)) };
}

/** Profile of a row-major `width`×`height` image around (cx, cy); pixels off the image are skipped. */
export function radialProfile(data: ArrayLike<number>, width: number, height: number, cx: number, cy: number, bins: ProfileBins): RadialProfile {
  const mean = new Float64Array(bins.count);
  const n = new Float64Array(bins.count);
  const rOut = bins.count * bins.binPx;
  const x0 = Math.max(0, Math.floor(cx - rOut)), x1 = Math.min(width - 1, Math.ceil(cx + rOut));
  const y0 = Math.max(0, Math.floor(cy - rOut)), y1 = Math.min(height - 1, Math.ceil(cy + rOut));
  for (let y = y0; y <= y1; y++) {
    const dy = y + 0.5 - cy;
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - cx;
      const b = Math.floor(Math.sqrt(dx * dx + dy * dy) / bins.binPx);
      if (b >= bins.count) continue;
      mean[b] = mean[b]! + data[y * width + x]!;
      n[b] = n[b]! + 1;
    }
  }
  for (let b = 0; b < bins.count; b++) mean[b] = n[b]! > 0 ? mean[b]! / n[b]! : NaN;
  return { mean, n };
}

/**
 * Weighted Pearson correlation of two profiles (weights: the measured annulus sizes, square
 * rooted so the few central pixels still count). The fit's gain and offset are free this
 * way, so the 8-bit display scaling of a real image does not matter; the SIGN is kept, and
 * that is what tells under- from over-focus.
 */
export function correlation(a: Float64Array, b: Float64Array, n: Float64Array): number {
  let sw = 0, ma = 0, mb = 0;
  for (let i = 0; i < a.length; i++) {
    if (!(n[i]! > 0) || !Number.isFinite(a[i]!) || !Number.isFinite(b[i]!)) continue;
    const w = Math.sqrt(n[i]!);
    sw += w; ma += w * a[i]!; mb += w * b[i]!;
  }
  if (sw === 0) return 0;
  ma /= sw; mb /= sw;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < a.length; i++) {
    if (!(n[i]! > 0) || !Number.isFinite(a[i]!) || !Number.isFinite(b[i]!)) continue;
    const w = Math.sqrt(n[i]!);
    const da = a[i]! - ma, db = b[i]! - mb;
    sab += w * da * db; saa += w * da * da; sbb += w * db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}
