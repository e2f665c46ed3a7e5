/**
 * The DM writer the DM tests rely on, checked by an independent reader: files it writes
 * (DM3 and DM4, every real pixel type, thumbnail, calibration) are read by HyperSpy 1.7
 * (Debian's python3-hyperspy) and must give the same values and scales. Little-endian
 * only: HyperSpy reads image data as little-endian whatever the header says (as nearly all
 * real files are). Skipped when /usr/bin/python3 or HyperSpy is absent.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDm } from './writers.js';

const PY = '/usr/bin/python3';
const hasHyperspy = existsSync(PY) && spawnSync(PY, ['-c', 'import hyperspy.io_plugins.digital_micrograph'], { encoding: 'utf8' }).status === 0;

const CASES: Array<[code: number, lo: number, hi: number]> = [[1, -300, 300], [2, -3, 3], [6, 0, 255], [7, -1e6, 1e6], [9, -100, 100], [10, 0, 65535], [11, 0, 4e9], [12, -1e3, 1e3]];

if (!hasHyperspy) {
  test('DM writer vs HyperSpy (skipped: /usr/bin/python3 with hyperspy absent)', (t) => t.pass());
} else {
  test('files from the DM writer read the same in HyperSpy', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'temguard-dmw-'));
    const expected: Record<string, number[]> = {};
    for (const version of [3, 4] as const) {
      for (const [code, lo, hi] of CASES) {
        const v = Array.from({ length: 15 }, (_, i) => Math.round(lo + ((hi - lo) * i) / 14));
        const name = `w${version}-${code}.dm${version}`;
        writeFileSync(join(dir, name), writeDm({ version, images: [{ width: 5, height: 3, dataType: code, values: v, calibration: [{ scale: 0.5, origin: 1, units: 'nm' }, { scale: 0.25, origin: 2, units: 'nm' }] }] }));
        expected[name] = v;
      }
    }
    const script = [
      'import json, os, sys, warnings', 'warnings.filterwarnings("ignore")',
      'from hyperspy.io_plugins import digital_micrograph as dmp', 'out = {}',
      'for n in sorted(os.listdir(sys.argv[1])):',
      '    d = dmp.file_reader(os.path.join(sys.argv[1], n))',
      '    out[n] = {"n": len(d), "shape": list(d[0]["data"].shape), "values": d[0]["data"].astype(float).ravel().tolist(), "scales": [a["scale"] for a in d[0]["axes"]]}',
      'print(json.dumps(out))',
    ].join('\n');
    const r = spawnSync(PY, ['-c', script, dir], { encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    t.is(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as Record<string, { n: number; shape: number[]; values: number[]; scales: number[] }>;
    for (const [name, v] of Object.entries(expected)) {
      t.is(got[name]!.n, 1, `${name}: HyperSpy skips the thumbnail`);
      t.deepEqual(got[name]!.shape, [3, 5], name);
      t.deepEqual(got[name]!.values, v, name); // integers: exact in every pixel type
      t.deepEqual(got[name]!.scales, [0.25, 0.5], name);
    }
  });
}
