import test from 'ava';
import { imageQuality } from '../../agent/learn/quality.js';
import { rng } from '../../agent/learn/cart.js';
import type { Frame } from '../../agent/types.js';

/** A 128^2 frame of bright discs on grey, plus Gaussian-ish noise of the given std. */
function frame(noise: number, blur: boolean, sign = 1): Frame {
  const w = 128, h = 128, r = rng(5);
  let data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const inDisc = ((x % 32) - 16) ** 2 + ((y % 32) - 16) ** 2 < 36;
    data[y * w + x] = 100 + (inDisc ? 60 * sign : 0);
  }
  if (blur) {
    const b = data.slice();
    for (let y = 2; y < h - 2; y++) for (let x = 2; x < w - 2; x++) {
      let s = 0;
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) s += data[(y + dy) * w + x + dx]!;
      b[y * w + x] = s / 25;
    }
    data = b;
  }
  for (let i = 0; i < data.length; i++) data[i] += noise * (r() + r() + r() - 1.5) * 2;
  return { width: w, height: h, data, dtype: 'float32', min: 0, max: 255, mean: 100, pixelSize: null, format: 'test' };
}

test('SNR falls with noise, sharpness falls with blur, skew follows the contrast sign', (t) => {
  const clean = imageQuality(frame(2, false));
  const noisy = imageQuality(frame(20, false));
  t.true(clean.q_snr > 3 * noisy.q_snr, `${clean.q_snr} vs ${noisy.q_snr}`);
  const blurred = imageQuality(frame(0.5, true));
  const sharp = imageQuality(frame(0.5, false));
  t.true(sharp.q_sharpness > 3 * blurred.q_sharpness, `${sharp.q_sharpness} vs ${blurred.q_sharpness}`);
  t.true(imageQuality(frame(2, false, 1)).q_skew > 0.5);
  t.true(imageQuality(frame(2, false, -1)).q_skew < -0.5);
});

test('a flat frame gives zeros instead of dividing by zero', (t) => {
  const f = frame(0, false);
  f.data.fill(7);
  t.deepEqual(imageQuality(f), { q_snr: 0, q_sharpness: 0, q_skew: 0 });
});
