import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AlertTracker, hintFor } from '../../agent/pipeline/alerts.js';
import { defocusHint, trainingDefocusRange } from '../../agent/physics/training-range.js';
import { DEFAULT_MODEL_PATH } from '../../agent/pipeline/detect.js';
import { schemaErrors } from '../helpers/schemas.js';
import { FEATURE_NAMES, type Features, type Prediction } from '../../agent/types.js';

const features = { ...Object.fromEntries(FEATURE_NAMES.map((k) => [k, 0])), counts: 12, avg_conf: 0.3, 'counts_0.9': 0.05 } as Features;
const low: Prediction = { f1: 0.2, precision: 0.3, recall: 0.2, low: true, threshold: 0.5 };

test('training range: stated in the manifest, or read off the presets the bundled detector was trained on', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tg-range-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'mine.manifest.json'), JSON.stringify({ training: { defocus_um: [-1.5, -0.5] } }));
  t.like(trainingDefocusRange(join(dir, 'mine.onnx')), { under: [-1.5, -0.5], over: null });
  t.is(trainingDefocusRange(join(dir, 'other.onnx')), null);
  await writeFile(join(dir, 'bad.manifest.json'), '{oops');
  t.is(trainingDefocusRange(join(dir, 'bad.onnx')), null);
  // The bundled detector: steel ±0.5–2 µm, he-bubbles ±0.25–1, fe-insitu −0.7..−2.5 (agent/sim/presets.ts).
  const bundled = trainingDefocusRange(DEFAULT_MODEL_PATH)!;
  t.true(bundled.under![0] <= -2.4 && bundled.under![1] >= -0.3, JSON.stringify(bundled));
  t.true(bundled.over![1] >= 1.9 && bundled.over![1] <= 2.1, JSON.stringify(bundled));
});

test('hint: outside the trained range it names the defocus alone; inside, it rules focus out before the heuristics', (t) => {
  const range = { under: [-1.5, -0.5] as [number, number], over: null, source: 'test' };
  t.is(hintFor(features, -2.1, range), 'under-focus -2.1 um, the detector was trained on -1.5..-0.5 um: bring the focus back into that range');
  t.regex(hintFor(features, -1, range), /^under-focus -1\.0 um, the detector was trained on -1\.5\.\.-0\.5 um \(within it\); few confident detections/);
  t.is(hintFor(features, 1.2, range), 'over-focus +1.2 um, the detector was trained on under-focus only (-1.5..-0.5 um): bring the focus back into that range');
  t.regex(hintFor(features, null, range), /^few confident detections/);
  t.is(defocusHint(-2.1, null).text, 'under-focus -2.1 um measured');
});

test('alert events carry the latest measured defocus of the low images and the hint from it; schema-valid', (t) => {
  const a = new AlertTracker({ enterAfter: 3, exitAfter: 1, updateEvery: 2, defocusRange: { under: [-1.5, -0.5], over: null, source: 'test' } });
  t.is(a.observe(low, features, 'a.png', new Date(), -2.0), null);
  t.is(a.observe(low, features, 'b.png', new Date(), null), null); // not measurable on this one: the last measurement stands
  const ev = a.observe(low, features, 'c.png', new Date(), -2.3)!;
  t.is(ev.state, 'new');
  t.is(ev.defocus_um, -2.3);
  t.is(ev.hint, 'under-focus -2.3 um, the detector was trained on -1.5..-0.5 um: bring the focus back into that range');
  const msg = { schema: { name: 'temguard/alert', version: 1 }, msg_id: '00000000-0000-4000-8000-000000000000', seq: 1, ts: new Date().toISOString(), instrument: 'tem-1', ...ev };
  t.is(schemaErrors('alert', msg), null);
  // After the alert ends, a new low run starts without the old measurement.
  const end = a.observe({ ...low, f1: 0.9, low: false }, features, 'd.png')!;
  t.is(end.state, 'end');
  a.observe(low, features, 'e.png'); a.observe(low, features, 'f.png');
  const again = a.observe(low, features, 'g.png')!;
  t.is(again.defocus_um, null);
  t.regex(again.hint, /^few confident detections/);
});
