/**
 * Simulator speed: one render at 512² and 1024² (steel-under, all stages: specimen, FFT
 * propagation, background, labels, noise, MTF), and our 2-D FFT pair against numpy's
 * pocketfft measured in the same run. Target from the issue: a 1024² image in ≤ 200 ms.
 * Prints wall and process-CPU medians and the machine's load average (this machine is shared,
 * so wall times under load overstate the cost). Asserts nothing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { render } from '../agent/sim/render.js';
import { drawParams } from '../agent/sim/presets.js';
import { createRng } from '../agent/sim/rng.js';
import { fft2T, ifft2T } from '../agent/sim/fft.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function time(fn: () => void, reps: number): { wall: number; cpu: number } {
  fn(); // warm-up (JIT, FFT plans)
  const walls: number[] = [], cpus: number[] = [];
  for (let i = 0; i < reps; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    fn();
    walls.push(performance.now() - t);
    const u = process.cpuUsage(c);
    cpus.push((u.user + u.system) / 1000);
  }
  return { wall: median(walls), cpu: median(cpus) };
}

function numpyFftPair(n: number): number | null {
  const py = '/usr/bin/python3';
  if (!existsSync(py)) return null;
  const code = `import numpy as np, time
a = (np.random.default_rng(0).standard_normal((${n},${n})) + 0j)
np.fft.ifft2(np.fft.fft2(a))
ts = []
for _ in range(7):
    t = time.perf_counter(); np.fft.ifft2(np.fft.fft2(a)); ts.append(time.perf_counter() - t)
print(sorted(ts)[3] * 1000)`;
  const r = spawnSync(py, ['-c', code], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}

const rows: string[][] = [];
for (const size of [512, 1024]) {
  const p = drawParams('steel-under', createRng(7), size);
  const t = time(() => render(p, 7), size === 1024 ? 5 : 7);
  rows.push([`render steel-under ${size}²`, t.wall.toFixed(0), t.cpu.toFixed(0), size === 1024 ? `target ≤ 200 ms: ${(t.wall / 200).toFixed(2)}×` : '']);
}
const n = 1024;
const re = new Float64Array(n * n).map((_, i) => Math.sin(i * 0.37)), im = new Float64Array(n * n);
const f = time(() => { fft2T(re, im, n); ifft2T(re, im, n); }, 7);
const np = numpyFftPair(n);
rows.push([`FFT pair ${n}² (ours)`, f.wall.toFixed(0), f.cpu.toFixed(0), np ? `numpy ${np.toFixed(0)} ms, ratio ${(f.wall / np).toFixed(2)}×` : 'numpy not available']);

console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} on this machine`);
console.log('| case | wall ms (median) | cpu ms | vs reference |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
