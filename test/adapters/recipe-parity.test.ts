/**
 * The training recipe validates the bundled model with Python mirrors of the agent's
 * normalisation and instance extraction (models/recipes/detector/common.py). If the two
 * drifted apart, the manifest's F1 would describe a different detector than the one the agent
 * runs; this test runs both on the same data. Skipped when Debian's python3 with numpy/scipy
 * is not installed.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { componentsToDetections } from '../../agent/adapters/components.js';
import { percentileScale } from '../../agent/adapters/normalise.js';

const PY = '/usr/bin/python3';
const RECIPE = fileURLToPath(new URL('../../models/recipes/detector/', import.meta.url));
const hasPython = spawnSync(PY, ['-c', 'import numpy, scipy, skimage, PIL'], { encoding: 'utf8' }).status === 0;
const maybe = hasPython ? test : test.skip;

const SCRIPT = `
import sys, json, numpy as np
sys.path.insert(0, sys.argv[1])
from common import normalise, instances
w, h = int(sys.argv[3]), int(sys.argv[4])
a = np.fromfile(sys.argv[2], dtype=np.float32).reshape(h, w)
n = normalise(a)
smooth = np.convolve(n.ravel(), np.ones(9) / 9, mode='same').reshape(h, w).astype(np.float32)
dets = instances(smooth, 0.5, 6)
n.astype(np.float32).tofile(sys.argv[2] + '.norm')
smooth.tofile(sys.argv[2] + '.smooth')
print(json.dumps([[d[0], d[1], int(d[2].sum())] for d in dets]))
`;

maybe('TS normalisation and connected components match the Python recipe', async (t) => {
  const w = 301, h = 203; // odd sizes; 61103 px, and a 16-bit-like range with outliers
  const data = new Float32Array(w * h);
  let s = 7;
  for (let i = 0; i < data.length; i++) { s = (s * 1103515245 + 12345) >>> 0; data[i] = 1000 + (s % 20000) + (i % 997 === 0 ? 60000 : 0); }
  const dir = mkdtempSync(join(tmpdir(), 'temguard-parity-'));
  const file = join(dir, 'a.f32');
  writeFileSync(file, Buffer.from(data.buffer));
  const r = spawnSync(PY, ['-c', SCRIPT, RECIPE, file, String(w), String(h)], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const { readFileSync } = await import('node:fs');
  const pyNorm = new Float32Array(readFileSync(file + '.norm').buffer.slice(0));
  const tsNorm = percentileScale(data, 1, 99);
  let maxDiff = 0;
  for (let i = 0; i < tsNorm.length; i++) maxDiff = Math.max(maxDiff, Math.abs(tsNorm[i]! - pyNorm[i]!));
  t.true(maxDiff < 1e-5, `max |ts - py| = ${maxDiff}`);
  // components on the Python-smoothed map (has real blobs): same boxes, scores, areas
  const smooth = new Float32Array(readFileSync(file + '.smooth').buffer.slice(0));
  const byBox = (a: { k: string }, b: { k: string }): number => (a.k < b.k ? -1 : 1);
  const ts = componentsToDetections(smooth, w, h, w, { threshold: 0.5, minArea: 6 })
    .map((d) => ({ k: JSON.stringify([d.box, d.mask!.data.reduce((a, b) => a + b, 0)]), score: d.score })).sort(byBox);
  const py = (JSON.parse(r.stdout) as [number[], number, number][])
    .map(([b, score, area]) => ({ k: JSON.stringify([b, area]), score })).sort(byBox);
  t.true(py.length > 5, `python found ${py.length} components`);
  t.deepEqual(ts.map((x) => x.k), py.map((x) => x.k)); // same boxes and areas
  for (let i = 0; i < ts.length; i++) t.true(Math.abs(ts[i]!.score - py[i]!.score) < 1e-4); // numpy sums in float32
});
