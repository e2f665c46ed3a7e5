import test from 'ava';
import { AlertTracker, likelyCause } from '../../agent/pipeline/alerts.js';
import { FEATURE_NAMES, type Features, type Prediction } from '../../agent/types.js';

const feats = (over: Partial<Features> = {}): Features => ({ ...Object.fromEntries(FEATURE_NAMES.map((n) => [n, 0])), counts: 10, avg_conf: 0.8, 'counts_0.9': 0.6, avg_shape: 1.05, ...over }) as Features;
const pred = (f1: number): Prediction => ({ f1, precision: f1, recall: f1, low: f1 < 0.5, threshold: 0.5 });

test('one bad frame pages nobody; a run of them starts, updates and ends one alert', (t) => {
  const a = new AlertTracker({ enterAfter: 3, exitAfter: 2, updateEvery: 2 });
  const seq = [0.9, 0.3, 0.9, 0.3, 0.2, 0.1, 0.2, 0.3, 0.8, 0.3, 0.9, 0.9, 0.9];
  const events = seq.map((f1, i) => a.observe(pred(f1), feats(), `img${i}`)).map((e) => e?.state ?? null);
  t.deepEqual(events, [null, null, null, null, null, 'new', null, 'update', null, null, null, 'end', null]);
});

test('the alert carries counts and the mean/min predicted F1 of its images', (t) => {
  const a = new AlertTracker({ enterAfter: 2, exitAfter: 1, updateEvery: 100 });
  a.observe(pred(0.4), feats(), 'a');
  const ev = a.observe(pred(0.2), feats(), 'b')!;
  t.is(ev.state, 'new');
  t.is(ev.low_images, 2);
  t.is(ev.mean_f1, 0.3);
  t.is(ev.min_f1, 0.2);
  t.is(ev.last_image, 'b');
  t.truthy(a.current);
  const end = a.observe(pred(0.9), feats(), 'c')!;
  t.is(end.state, 'end');
  t.is(end.alert_id, ev.alert_id);
  t.truthy(end.ended);
  t.is(a.current, null);
});

test('hints read the features', (t) => {
  t.regex(likelyCause(feats({ counts: 0 })), /no detections/);
  t.regex(likelyCause(feats({ avg_conf: 0.3, 'counts_0.9': 0.05 })), /focus/);
});
