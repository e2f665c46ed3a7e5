import test from 'ava';
import { deflateSync } from 'node:zlib';
import { decodeOptions, detectorOptions } from '../../agent/config/derived.js';
import { ConfigError, loadConfig } from '../../agent/config/load.js';
import { FRAME_BYTES_PER_PX, memoryPlan, RUNTIME_MB, WINDOW_BYTES_PER_PX } from '../../agent/config/memory.js';
import { decodeBytes } from '../../agent/pipeline/decode.js';

const cfg = (overrides: Record<string, unknown> = {}) => loadConfig({ overrides });

test('the default budget takes a 4096² frame and refuses a 16384² one; windows included', (t) => {
  const plan = memoryPlan(cfg());
  t.true(plan.maxPixels >= 4096 * 4096, `${plan.maxPixels}`);
  t.true(plan.maxPixels < 16384 * 16384);
  const side = 960 + 2 * 64;
  t.is(plan.windowMb, Math.ceil((side * side * WINDOW_BYTES_PER_PX) / 2 ** 20));
  t.is(plan.maxPixels, Math.floor(((1536 - RUNTIME_MB - plan.windowMb) * 2 ** 20) / FRAME_BYTES_PER_PX));
  t.is(decodeOptions(cfg()).maxPixels, plan.maxPixels);
  t.deepEqual(detectorOptions(cfg()).dense, { tile: 960, margin: 64, maxObjectPx: 400, maxObjectNm: 0 });
});

test('an explicit decode.max_pixels wins; detector.tile 0 means the whole frame', (t) => {
  t.is(memoryPlan(cfg({ 'decode.max_pixels': 1000 })).maxPixels, 1000);
  t.is(detectorOptions(cfg({ 'detector.tile': 0 })).dense, undefined);
  t.is(memoryPlan(cfg({ 'detector.tile': 0 })).windowMb, 0);
});

test('a window that cannot fit the budget is refused at start, naming both settings', (t) => {
  const err = t.throws(() => memoryPlan(cfg({ 'decode.memory_budget_mb': 512, 'detector.tile': 2048 })), { instanceOf: ConfigError });
  t.regex(err!.message, /decode\.memory_budget_mb/);
  t.regex(err!.message, /detector\.tile 2048/);
  t.throws(() => decodeOptions(cfg({ 'decode.memory_budget_mb': 300 })), { instanceOf: ConfigError });
});

/** A PNG whose header says width x height (8-bit grey) with one row of pixel data: enough for any reader to see the size. */
function pngHeader(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b: Buffer): number => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type: string, data: Buffer): Buffer => {
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const c = Buffer.alloc(4); c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4); ihdr[8] = 8; ihdr[9] = 0;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(width + 1))), chunk('IEND', Buffer.alloc(0))]);
}

test('a 16384² PNG is refused from its header under the default budget, with the settings named', async (t) => {
  const before = process.memoryUsage().rss;
  const err = await t.throwsAsync(decodeBytes(pngHeader(16384, 16384), 'huge.png', decodeOptions(cfg())));
  t.regex(err!.message, /pixel limit|exceeds the limit/);
  t.regex(err!.message, /decode\.max_pixels|memory_budget_mb/);
  t.true(process.memoryUsage().rss - before < 256 * 2 ** 20, 'nothing frame-sized was allocated');
});
