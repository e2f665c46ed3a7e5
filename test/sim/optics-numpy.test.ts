/**
 * Cross-check of optics.ts against an independent numpy implementation of the same formulas
 * (models/recipes/sim/optics_reference.py): FFT layout, transposed spectrum, astigmatism
 * orientation, envelopes. Skips cleanly where Debian's python3 with numpy is not installed.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { interactionConstant, propagate, type OpticsParams } from '../../agent/sim/optics.js';

const PY = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../../models/recipes/sim/optics_reference.py', import.meta.url));
const hasNumpy = existsSync(PY) && spawnSync(PY, ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

const n = 64, pixelNm = 0.4, v0 = 25;
const voids: [number, number, number][] = [[20.3, 30.7, 3], [45, 18, 2], [40, 47.5, 5]];
const optics: OpticsParams = { kV: 300, defocusNm: -1200, csNm: 1.2e6, astigNm: 150, astigAngle: 0.6, alphaRad: 0.2e-3, focalSpreadNm: 6, apertureRad: 0 };

function ours(): Float32Array {
  const sigma = interactionConstant(optics.kV * 1000);
  const re = new Float64Array(n * n), im = new Float64Array(n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    let ph = 0;
    for (const [cx, cy, r] of voids) {
      const rr = Math.hypot((x - cx) * pixelNm, (y - cy) * pixelNm);
      if (rr < r) ph += -sigma * v0 * 2 * Math.sqrt(r * r - rr * rr);
    }
    re[y * n + x] = Math.cos(ph); im[y * n + x] = Math.sin(ph);
  }
  const out = new Float32Array(n * n);
  propagate(re, im, n, pixelNm, optics, out);
  return out;
}

(hasNumpy ? test : test.skip)('optics.ts matches the numpy reference (astigmatism, Cs, envelopes)', (t) => {
  const job = { n, pixel_nm: pixelNm, kV: optics.kV, defocus_nm: optics.defocusNm, cs_nm: optics.csNm, astig_nm: optics.astigNm, astig_angle: optics.astigAngle, alpha_rad: optics.alphaRad, focal_spread_nm: optics.focalSpreadNm, aperture_rad: optics.apertureRad, voids, v0 };
  const r = spawnSync(PY, [SCRIPT], { input: JSON.stringify(job), encoding: 'utf8', maxBuffer: 64 << 20 });
  t.is(r.status, 0, r.stderr);
  const ref = JSON.parse(r.stdout) as number[];
  const mine = ours();
  let maxDiff = 0, contrast = 0;
  for (let i = 0; i < n * n; i++) { maxDiff = Math.max(maxDiff, Math.abs(mine[i]! - ref[i]!)); contrast = Math.max(contrast, Math.abs(ref[i]! - 1)); }
  t.true(contrast > 0.1, 'the reference image has contrast');
  t.true(maxDiff < 1e-5, `max difference ${maxDiff}`);
});
