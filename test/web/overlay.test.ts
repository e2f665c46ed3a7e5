import test from 'ava';
import sharp from 'sharp';
import { decodeFile } from '../../agent/pipeline/decode.js';
import type { Frame } from '../../agent/types.js';
import { renderOverlay, renderThumbnail, scoreColour, toDisplay8 } from '../../agent/web/overlay.js';
import { createRng } from '../../agent/sim/rng.js';
import { temImages } from '../helpers/data.js';

/** A real TEM frame when ../shared is present, else a textured synthetic one of the same size. */
async function sampleFrame(): Promise<Frame> {
  const real = temImages().find((p) => p.endsWith('.png'));
  if (real) return decodeFile(real);
  // Without ../shared: a smooth pattern plus random 8-px mottle that survives the thumbnail's
  // downscaling, so it compresses like a real micrograph (a smooth one fits any byte budget by
  // JPEG quality alone).
  const rng = createRng(5);
  const w = 1024, h = 1024, data = new Float32Array(w * h);
  const mottle = Float32Array.from({ length: (w / 8) * (h / 8) }, () => rng.uniform(-40, 40));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = 120 + 60 * Math.sin(x / 37) * Math.cos(y / 53) + mottle[(y >> 3) * (w / 8) + (x >> 3)]!;
  let min = Infinity, max = -Infinity, sum = 0;
  for (const v of data) { min = Math.min(min, v); max = Math.max(max, v); sum += v; }
  return { width: w, height: h, data, dtype: 'float32', min, max, mean: sum / data.length, pixelSize: null, format: 'synthetic' };
}

function rgb(hex: string): number[] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

async function pixels(png: Buffer) {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { info, at: (x: number, y: number) => [0, 1, 2].map((c) => data[(y * info.width + x) * info.channels + c]!) };
}

function near(t: { true(v: boolean, m?: string): void }, got: number[], want: number[], what: string): void {
  t.true(got.every((v, i) => Math.abs(v - want[i]!) <= 12), `${what}: got rgb(${got}) want rgb(${want})`);
}

test('overlay is a bounded PNG and each box edge carries the colour of its score', async (t) => {
  const frame = await sampleFrame();
  const scale = 512 / Math.max(frame.width, frame.height);
  const at = (v: number) => Math.round(v / scale); // output px -> frame px
  const items = [
    { box: [at(40), at(40), at(140), at(120)], score: 0.95 },
    { box: [at(200), at(40), at(300), at(120)], score: 0.75 },
    { box: [at(40), at(200), at(140), at(300)], score: 0.55 },
    { box: [at(200), at(200), at(300), at(300)], score: 0.2 },
  ];
  const png = await renderOverlay(frame, items, { maxSide: 512 });
  t.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'PNG signature');
  t.true(png.length < 512 * 512 * 1.2, `size ${png.length} bytes is bounded by about one byte per pixel`);
  const { info, at: px } = await pixels(png);
  t.is(Math.max(info.width, info.height), 512);
  const corners: [number, number][] = [[40, 40], [200, 40], [40, 200], [200, 200]];
  items.forEach((it, i) => {
    const [x0, y0] = corners[i]!;
    const want = rgb(scoreColour(it.score));
    near(t, px(x0 + 1, y0 + 40), want, `left edge of box scored ${it.score}`);
    near(t, px(x0 + 50, y0 + 1), want, `top edge of box scored ${it.score}`);
    const inside = px(x0 + 50, y0 + 40);
    t.true(Math.max(...inside) - Math.min(...inside) <= 6, `inside of box ${i} stays grey: rgb(${inside})`);
  });
  t.not(scoreColour(0.95), scoreColour(0.2));
});

test('a mask is drawn as its outline, not its box', async (t) => {
  const frame = await sampleFrame();
  const size = 200;
  const mask = { x0: 300, y0: 300, width: size, height: size, data: new Uint8Array(size * size) };
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) mask.data[y * size + x] = (x - 100) ** 2 + (y - 100) ** 2 < 90 ** 2 ? 1 : 0;
  const png = await renderOverlay(frame, [{ box: [300, 300, 500, 500], score: 0.92, mask }], { maxSide: frame.width });
  const { at } = await pixels(png);
  const green = rgb(scoreColour(0.92));
  near(t, at(400, 300 + 100 - 89), green, 'top of the circle outline');
  near(t, at(400 - 89, 400), green, 'left of the circle outline');
  const corner = at(302, 302);
  t.true(Math.max(...corner) - Math.min(...corner) <= 6, `box corner outside the mask is not drawn: rgb(${corner})`);
  const centre = at(400, 400);
  t.true(Math.max(...centre) - Math.min(...centre) <= 6, 'mask interior is not filled');
});

test('percentile contrast: a 16-bit frame with one hot pixel still uses the grey range', (t) => {
  const w = 64, h = 64, data = new Float32Array(w * h);
  for (let i = 0; i < data.length; i++) data[i] = 1000 + (i % 97) * 10;
  data[5] = 65535;
  const frame: Frame = { width: w, height: h, data, dtype: 'uint16', min: 1000, max: 65535, mean: 1500, pixelSize: null, format: 'tiff' };
  const g = toDisplay8(frame, [0.5, 99.5]);
  let sum = 0;
  for (const v of g) sum += v;
  const mean = sum / g.length;
  t.true(mean > 90 && mean < 165, `mean display value ${mean.toFixed(1)} is mid-grey, not crushed by the hot pixel`);
  t.is(g[5], 255);
  const flat = toDisplay8({ ...frame, data: new Float32Array(w * h).fill(7), min: 7, max: 7 }, [0.5, 99.5]);
  t.true(flat.every((v) => v === 128), 'a flat frame is mid-grey');
});

test('jpeg output, small frames are not enlarged, and bad input is a clear error', async (t) => {
  const frame = await sampleFrame();
  const jpg = await renderOverlay(frame, [{ box: [10, 10, 50, 50], score: 0.8 }], { format: 'jpeg', maxSide: 256 });
  t.deepEqual([...jpg.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  const tiny: Frame = { width: 40, height: 30, data: new Float32Array(1200).map((_, i) => i % 40), dtype: 'uint8', min: 0, max: 39, mean: 19.5, pixelSize: null, format: 'png' };
  const meta = await sharp(await renderOverlay(tiny, [{ box: [-5, -5, 1e9, Number.NaN], score: 0.5 }])).metadata();
  t.deepEqual([meta.width, meta.height], [40, 30], 'not scaled up; absurd box coordinates are clamped');
  await t.throwsAsync(renderOverlay({ ...tiny, width: 41 }, []), { instanceOf: RangeError, message: /does not match/ });
  await t.throwsAsync(renderOverlay(tiny, [], { maxSide: 3 }), { instanceOf: RangeError, message: /maxSide/ });
});

test('thumbnails fit their byte budget, shrinking quality then size', async (t) => {
  const frame = await sampleFrame();
  const items = [{ box: [100, 100, 300, 260], score: 0.95 }];
  const normal = await renderThumbnail(frame, items);
  t.true(normal.length <= 48_000, `${normal.length} bytes`);
  t.is(Math.max((await sharp(normal).metadata()).width!, (await sharp(normal).metadata()).height!), 256);
  const tight = await renderThumbnail(frame, items, { maxBytes: 4000 });
  t.true(tight.length <= 4000, `${tight.length} bytes`);
  t.true((await sharp(tight).metadata()).width! < 256, 'had to shrink');
  await t.throwsAsync(renderThumbnail(frame, items, { maxBytes: 50 }), { instanceOf: RangeError, message: /fits in 50 bytes/ });
});
