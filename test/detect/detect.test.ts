import test from 'ava';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDetector, engineOf, ModelError, warmupFrame } from '../../agent/pipeline/detect.js';
import { modelProto } from '../adapters/proto.js';
import { createLogger, silentLogger } from '../../agent/log.js';
import { as16bit, frameFromFile } from './frame.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/onnx/${name}`, import.meta.url));
const UNET = fixture('unet-fixture.onnx');
const TEM = fileURLToPath(new URL('../../../shared/data/tem/', import.meta.url));
const REAL = join(TEM, '100dpa Voids2 over 512.png');

test('EP fallback: tensorrt and cuda fail on this CPU build, cpu is active, both reasons reported and logged', async (t) => {
  const lines: string[] = [];
  const log = createLogger({ write: (l) => lines.push(l) });
  const d = await createDetector({ modelPath: UNET, warmup: false }, log);
  t.teardown(() => d.close());
  t.deepEqual(d.ep.requested, ['tensorrt', 'cuda', 'cpu']);
  if (d.ep.active !== 'cpu') return t.pass(`a GPU provider is really available here (${d.ep.active})`);
  t.deepEqual(d.ep.fallbacks.map((f) => f.ep), ['tensorrt', 'cuda']);
  for (const f of d.ep.fallbacks) t.regex(f.reason, /\S/);
  const warn = lines.map((l) => JSON.parse(l)).find((r) => r.msg === 'execution provider fallback');
  t.is(warn?.active, 'cpu');
});

test('only cpu requested: no fallbacks; only cuda requested on a CPU build: ModelError with the reason', async (t) => {
  const d = await createDetector({ modelPath: UNET, providers: ['cpu'], warmup: false }, silentLogger);
  t.deepEqual(d.ep, { requested: ['cpu'], active: 'cpu', fallbacks: [], engine: 'cpu kernels' });
  await d.close();
  const probe = await createDetector({ modelPath: UNET, providers: ['cuda', 'cpu'], warmup: false }, silentLogger);
  const cudaWorks = probe.ep.active === 'cuda';
  await probe.close();
  if (cudaWorks) return;
  await t.throwsAsync(createDetector({ modelPath: UNET, providers: ['cuda'] }, silentLogger), { instanceOf: ModelError, message: /no execution provider.*cuda: / });
});

test('unknown provider names are rejected', async (t) => {
  await t.throwsAsync(createDetector({ modelPath: UNET, providers: ['gpu' as 'cpu'] }, silentLogger), { instanceOf: ModelError, message: /unknown execution provider "gpu"/ });
});

test('adapter selection: auto picks unet from metadata; a named adapter is used; an unknown name is a ModelError', async (t) => {
  const auto = await createDetector({ modelPath: UNET, providers: ['cpu'], warmup: false }, silentLogger);
  t.is(auto.model.adapter, 'unet');
  t.is(auto.model.name, 'unet-fixture');
  t.regex(auto.model.sha256, /^[0-9a-f]{64}$/);
  t.is(auto.model.metadata['temguard.adapter'], 'unet');
  await auto.close();
  const named = await createDetector({ modelPath: UNET, providers: ['cpu'], adapter: 'unet', warmup: false }, silentLogger);
  t.is(named.model.adapter, 'unet');
  await named.close();
  await t.throwsAsync(createDetector({ modelPath: UNET, providers: ['cpu'], adapter: 'caffe' }, silentLogger), { instanceOf: ModelError, message: /unknown detector adapter "caffe"; known: auto, unet/ });
});

test('wrong models: missing file, non-ONNX file, ONNX with unsupported outputs -> ModelError saying why', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'temguard-detect-'));
  const notOnnx = join(dir, 'model.onnx');
  writeFileSync(notOnnx, 'this is a README, not a model\n');
  await t.throwsAsync(createDetector({ modelPath: join(dir, 'absent.onnx') }, silentLogger), { instanceOf: ModelError, message: /model file not found/ });
  await t.throwsAsync(createDetector({ modelPath: notOnnx }, silentLogger), { instanceOf: ModelError, message: /is not (a valid )?(an )?ONNX model/ });
  await t.throwsAsync(createDetector({ modelPath: dir }, silentLogger), { instanceOf: ModelError, message: /cannot read model/ });
  await t.throwsAsync(createDetector({ modelPath: fixture('unsupported-outputs.onnx'), providers: ['cpu'] }, silentLogger),
    { instanceOf: ModelError, message: /no adapter understands this model \(inputs input\[1,3,32,32\]; outputs embedding\[1,7\]\); supported: / });
});

test('warm-up runs once at start and is timed', async (t) => {
  const d = await createDetector({ modelPath: UNET, providers: ['cpu'] }, silentLogger);
  t.teardown(() => d.close());
  t.true(typeof d.warmupMs === 'number' && d.warmupMs > 0);
  const r = await d.detect(warmupFrame(64));
  t.true(r.inferenceMs > 0 && r.preprocessMs >= 0 && r.postprocessMs >= 0);
});

test('a frame whose pixel count does not match its size is rejected', async (t) => {
  const d = await createDetector({ modelPath: UNET, providers: ['cpu'], warmup: false }, silentLogger);
  t.teardown(() => d.close());
  await t.throwsAsync(d.detect({ ...warmupFrame(32), width: 33 }), { instanceOf: RangeError, message: /33x32/ });
});

const real = existsSync(REAL) ? test : test.skip;

real('runs on a real TEM image: sorted detections in image pixels, consistent masks, same result for 8- and 16-bit', async (t) => {
  const d = await createDetector({ modelPath: UNET, providers: ['cpu'], confidence: 0.1 }, silentLogger);
  t.teardown(() => d.close());
  const f = await frameFromFile(REAL);
  const r8 = await d.detect(f);
  const r16 = await d.detect(as16bit(f));
  t.is(r8.detections.length, r16.detections.length);
  t.deepEqual(r8.detections.map((x) => x.box), r16.detections.map((x) => x.box));
  let prev = Infinity;
  for (const det of r8.detections) {
    const [x1, y1, x2, y2] = det.box;
    t.true(x1 >= 0 && y1 >= 0 && x2 <= f.width && y2 <= f.height && x1 < x2 && y1 < y2);
    t.true(det.score >= 0.1 && det.score <= 1 && det.score <= prev);
    prev = det.score;
    const m = det.mask!;
    t.deepEqual([m.x0, m.y0, m.x0 + m.width, m.y0 + m.height], det.box);
    t.true(m.data.some((v) => v === 1));
  }
});

test('engine description for status', (t) => {
  t.is(engineOf('cpu', false), 'cpu kernels');
  t.regex(engineOf('tensorrt', false), /built at session start/);
  t.regex(engineOf('tensorrt', true), /EPContext/);
});

test('an EPContext model that cannot load here says where it belongs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'temguard-epctx-'));
  const path = join(dir, 'ctx.onnx');
  writeFileSync(path, modelProto({ opsets: [['', 17], ['com.microsoft', 1]], nodes: [['com.microsoft', 'EPContext']] }));
  await t.throwsAsync(createDetector({ modelPath: path, providers: ['cpu'] }, silentLogger), { instanceOf: ModelError, message: /EPContext model .* plain \.onnx elsewhere/ });
});
