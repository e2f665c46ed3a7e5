/**
 * A non-TEM picture for the ood-texture preset: a Voronoi mosaic of shaded flat regions (like
 * objects in a photograph), an oriented grating (fabric, blinds) and a few hard-edged shapes.
 * It carries no cavities: whatever a detector finds here is a false positive. Relative
 * intensity around 0.2–1, so the same camera model (noise, MTF, encoding) applies.
 */
import type { Rng } from './rng.js';

export function texturePicture(rng: Rng, size: number): Float32Array {
  const img = new Float32Array(size * size);
  const k = 12 + rng.int(30);
  const sx = Array.from({ length: k }, () => rng.uniform(0, size));
  const sy = Array.from({ length: k }, () => rng.uniform(0, size));
  const level = Array.from({ length: k }, () => rng.uniform(0.2, 1));
  const gx = Array.from({ length: k }, () => rng.uniform(-0.5, 0.5) / size);
  const gy = Array.from({ length: k }, () => rng.uniform(-0.5, 0.5) / size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let best = 0, bd = Infinity;
      for (let i = 0; i < k; i++) { const d = (x - sx[i]!) ** 2 + (y - sy[i]!) ** 2; if (d < bd) { bd = d; best = i; } }
      img[y * size + x] = level[best]! + gx[best]! * (x - sx[best]!) + gy[best]! * (y - sy[best]!);
    }
  }
  const ang = rng.uniform(0, Math.PI), period = rng.uniform(6, 30);
  const gx0 = rng.uniform(0, size / 2), gy0 = rng.uniform(0, size / 2), gw = rng.uniform(size / 4, size / 2);
  for (let y = Math.floor(gy0); y < Math.min(size, gy0 + gw); y++) {
    for (let x = Math.floor(gx0); x < Math.min(size, gx0 + gw); x++) {
      const t = (x * Math.cos(ang) + y * Math.sin(ang)) / period;
      img[y * size + x] = img[y * size + x]! * (0.75 + 0.25 * Math.sin(2 * Math.PI * t));
    }
  }
  for (let s = 3 + rng.int(6); s > 0; s--) {
    const cx = rng.uniform(0, size), cy = rng.uniform(0, size), r = rng.uniform(size / 40, size / 8), v = rng.uniform(0.1, 1);
    const square = rng.next() < 0.5;
    for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(size, cy + r); y++) {
      for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(size, cx + r); x++) {
        if (square || (x - cx) ** 2 + (y - cy) ** 2 < r * r) img[y * size + x] = v;
      }
    }
  }
  return img;
}
