import test from 'ava';
import { despikeFrame, findSpikes, parseDespikeSpec } from '../../agent/adapters/despike.js';
import { ModelError } from '../../agent/adapters/model-error.js';
import { createRng } from '../../agent/sim/rng.js';

const W = 128, H = 96, SD = 4;
/** The span of the noisy frame's 1st-99th percentiles, what the model's input covers. */
const RANGE = 2 * 2.33 * SD;

/** A flat frame of level 100 plus white Gaussian noise of SD counts. */
function noisy(seed = 3): Float32Array {
  const r = createRng(seed);
  const px = new Float32Array(W * H);
  for (let i = 0; i < px.length; i++) px[i] = 100 + SD * r.normal();
  return px;
}

/** Adds `dv` to the disc of radius `radius` around (cx, cy). */
function disc(px: Float32Array, cx: number, cy: number, radius: number, dv: number): void {
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if ((x - cx) ** 2 + (y - cy) ** 2 <= radius * radius) px[y * W + x]! += dv;
}

test('temguard.despike parses sigmas and a fraction of the input range, and refuses anything else, naming the key', (t) => {
  t.is(parseDespikeSpec(undefined), null);
  t.deepEqual(parseDespikeSpec('8,0.35'), { k: 8, range: 0.35 });
  t.deepEqual(parseDespikeSpec(' 12.5 , 0 '), { k: 12.5, range: 0 });
  for (const bad of ['', '8', '2,0.3', '0,0.3', '-8,0.3', 'eight,0.3', '8,4', '1000,0.3', '8,0.3,1']) {
    const err = t.throws(() => parseDespikeSpec(bad), { instanceOf: ModelError });
    t.true(err!.message.includes('temguard.despike'), bad);
  }
});

test('one- and two-pixel spikes, bright and dark, are found and nothing else, at the border too', (t) => {
  const px = noisy();
  const spikes = [10 * W + 20, 40 * W + 60, 40 * W + 61, 70 * W + 100, 0 * W + 5, 50 * W + W - 1];
  px[spikes[0]!] += 150; px[spikes[1]!] += 90; px[spikes[2]!] += 70; px[spikes[3]!] -= 80;
  px[spikes[4]!] += 120; px[spikes[5]!] -= 100;
  t.deepEqual(findSpikes(px, W, H, 8 * SD), [...spikes].sort((a, b) => a - b));
});

test('anything three or more pixels across is no spike: small cavities are left whole', (t) => {
  for (const radius of [1, 1.5, 2, 4]) {
    const px = noisy(5);
    disc(px, 64, 48, radius, 120);
    const out = despikeFrame({ data: px, width: W, height: H }, { k: 8, range: 0.35 }, RANGE, () => new Float32Array(W * H));
    const sum = (a: Float32Array): number => { let s = 0; for (let y = 40; y <= 56; y++) for (let x = 56; x <= 72; x++) s += a[y * W + x]! - 100; return s; };
    t.is(out.spikes, 0, `radius ${radius}`);
    t.is(sum(out.data), sum(px));
  }
});

test('spikes are replaced by the background around them; a frame without any is passed on as is', (t) => {
  const px = noisy(9);
  const clean = despikeFrame({ data: px, width: W, height: H }, { k: 8, range: 0.35 }, RANGE, () => t.fail('no buffer is needed') as never);
  t.is(clean.data, px);
  t.is(clean.spikes, 0);
  const spiky = Float32Array.from(px);
  spiky[30 * W + 30] = 255; spiky[31 * W + 30] = 250; spiky[80 * W + 90] = 0;
  const out = despikeFrame({ data: spiky, width: W, height: H }, { k: 8, range: 0.35 }, RANGE, () => new Float32Array(W * H));
  t.is(out.spikes, 3);
  t.not(out.data, spiky);
  let changed = 0;
  for (let i = 0; i < px.length; i++) {
    if (out.data[i] !== spiky[i]) changed++;
    t.true(Math.abs(out.data[i]! - 100) < 8 * SD, `pixel ${i}: ${out.data[i]}`);
  }
  t.is(changed, 3);
  t.is(spiky[30 * W + 30], 255, 'the frame itself is untouched');
  t.deepEqual(despikeFrame({ data: spiky, width: W, height: H }, null, RANGE, () => new Float32Array(0)), { data: spiky });
});

test('an X-ray hit goes with the charge it spread into its neighbours, as in the real 9_200K.png', (t) => {
  const px = noisy(11);
  // 9_200K.png at (752, 866), background 88, sigma 1.7: a peak 48 sigmas up, on a 2x2 24 sigmas up.
  const at = (x: number, y: number): number => y * W + x;
  px[at(40, 40)] = 100 + 48 * SD;
  px[at(41, 40)] = px[at(40, 41)] = px[at(41, 41)] = 100 + 24 * SD;
  const out = despikeFrame({ data: px, width: W, height: H }, { k: 16, range: 0.35 }, RANGE, () => new Float32Array(W * H));
  t.is(out.spikes, 1);
  for (const i of [at(40, 40), at(41, 40), at(40, 41), at(41, 41)]) t.true(Math.abs(out.data[i]! - 100) < 2 * SD, `pixel ${i}: ${out.data[i]}`);
  let changed = 0;
  for (let i = 0; i < px.length; i++) if (out.data[i] !== px[i]) changed++;
  t.true(changed >= 4 && changed <= 5, `${changed} pixels changed: the hit, its halo and at most one noise pixel of its 3x3`);
});

test('a constant frame (no noise to measure) is passed on as is', (t) => {
  const px = new Float32Array(W * H).fill(7);
  t.deepEqual(despikeFrame({ data: px, width: W, height: H }, { k: 8, range: 0.35 }, RANGE, () => t.fail('no buffer is needed') as never), { data: px, spikes: 0 });
});

test('where the noise is blurred, a spike must also stand a fraction of the input range out', (t) => {
  // A camera that blurs its noise makes Immerkaer's sigma a fraction of the pixel noise: the
  // bright centre of a small cavity then stands many "sigmas" above its neighbours.
  const px = noisy(13);
  px[20 * W + 20]! += 12 * SD;
  px[60 * W + 90]! += 30 * SD;
  const spec = { k: 8, range: 0.35 };
  t.is(despikeFrame({ data: px, width: W, height: H }, spec, RANGE, () => new Float32Array(W * H)).spikes, 2);
  const coarse = despikeFrame({ data: px, width: W, height: H }, spec, 200, () => new Float32Array(W * H));
  t.is(coarse.spikes, 1, 'only the spike 120 counts up clears 0.35 of a 200-count range');
  t.is(coarse.data[20 * W + 20], px[20 * W + 20]);
});
