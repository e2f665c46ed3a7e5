/**
 * Value-by-value comparison with independent readers/writers (made by
 * models/recipes/formats/make_reference.py with Debian's Python):
 * - tiny TIFFs written by tifffile and PIL/libtiff, MRCs written by mrcfile, whose values
 *   are in reference.json;
 * - the real DM3/DM4 files in ../shared/data/dm against HyperSpy 1.7's reader
 *   (dm-reference.json: shape, dtype, calibration, SHA-256 of every value).
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeFile } from '../../agent/pipeline/decode.js';

const FIX = join(process.cwd(), 'test', 'fixtures', 'formats');
const ref = JSON.parse(readFileSync(join(FIX, 'reference.json'), 'utf8')) as {
  files: Record<string, { values: number[]; width: number; height: number; dtype: string; pixel_nm: number | null }>;
};

const NUMPY_TO_PIXELTYPE: Record<string, string> = {
  uint8: 'uint8', int8: 'int8', uint16: 'uint16', int16: 'int16', uint32: 'uint32', int32: 'int32', float16: 'float16', float32: 'float32', float64: 'float64',
};

for (const [name, r] of Object.entries(ref.files)) {
  test(`${name} (written by tifffile/PIL/mrcfile) reads value by value`, async (t) => {
    const f = await decodeFile(join(FIX, name));
    t.deepEqual([f.width, f.height], [r.width, r.height]);
    t.is(f.dtype as string, NUMPY_TO_PIXELTYPE[r.dtype]);
    // float64 sources are compared after the same rounding to float32 the Frame does.
    t.deepEqual(Array.from(f.data), r.values.map((v) => Math.fround(v)));
    t.is(f.min, Math.min(...r.values.map(Math.fround)));
    t.is(f.max, Math.max(...r.values.map(Math.fround)));
    if (r.pixel_nm === null) t.is(f.pixelSize, null);
    else {
      t.truthy(f.pixelSize, 'pixel size expected');
      t.true(Math.abs(f.pixelSize!.x - r.pixel_nm) < 1e-6 && Math.abs(f.pixelSize!.y - r.pixel_nm) < 1e-6, JSON.stringify(f.pixelSize));
    }
  });
}

const DM_DIR = join(process.cwd(), '..', 'shared', 'data', 'dm');
const dmRef = JSON.parse(readFileSync(join(FIX, 'dm-reference.json'), 'utf8')) as {
  files: Record<string, { shape: number[]; dtype: string; min: number; max: number; mean: number; sha256_f64le: string; first_row: number[]; scale: { x: number; y: number }; units: { x: string; y: string } }>;
};

function sha256F64(data: Float32Array): string {
  return createHash('sha256').update(Buffer.from(Float64Array.from(data).buffer)).digest('hex');
}

for (const [name, r] of Object.entries(dmRef.files)) {
  const path = join(DM_DIR, name);
  if (!existsSync(path)) { test(`${name} vs HyperSpy (skipped: ../shared/data/dm absent)`, (t) => t.pass()); continue; }
  test(`${name}: every value, dtype and calibration match HyperSpy's reader`, async (t) => {
    const f = await decodeFile(path);
    t.deepEqual([f.height, f.width], r.shape);
    t.is(f.dtype as string, NUMPY_TO_PIXELTYPE[r.dtype]);
    t.deepEqual(Array.from(f.data.subarray(0, r.first_row.length)), r.first_row);
    t.is(sha256F64(f.data), r.sha256_f64le);
    t.is(f.min, r.min);
    t.is(f.max, r.max);
    t.true(Math.abs(f.mean - r.mean) < 1e-9 * Math.max(1, Math.abs(r.mean)));
    if (r.units.x === 'nm') {
      t.true(Math.abs(f.pixelSize!.x - r.scale.x) < 1e-12 && Math.abs(f.pixelSize!.y - r.scale.y) < 1e-12);
    } else {
      t.is(f.pixelSize, null, `units "${r.units.x}" are not a length`);
    }
  });
}
