import test from 'ava';
import { LiveState } from '../../agent/web/state.js';
import { alertMsg, resultMsg, ROOT, statusMsg } from './messages.js';

const state = () => new LiveState({ root: ROOT, history: 3 });
const result = (sha: string, f1: number) => resultMsg({ path: `/d/${sha}.png`, rel: `${sha}.png`, sha256: sha.repeat(64).slice(0, 64), width: 8, height: 8, f1, items: [{ box: [0, 0, 4, 4], score: 0.7 }] });

test('started mid-alert: the retained status stands in until an alert message arrives', (t) => {
  const s = state();
  const t0 = new Date('2026-11-28T10:00:00Z');
  s.ingest('status', statusMsg({ alert: { alert_id: 'x', started: t0.toISOString(), low_images: 6 }, at: t0 }));
  t.is(s.snapshot().alert!.alert_id, 'x');
  t.is(s.snapshot().alert!.hint, null, 'no hint known yet');
  s.ingest('alert', alertMsg('update', { id: 'x', at: new Date(t0.getTime() + 1000), started: t0 }));
  t.regex(s.snapshot().alert!.hint!, /check focus/);
});

test('a missed end: a later status without an alert clears it; an older one does not', (t) => {
  const s = state();
  const t0 = new Date('2026-11-28T10:00:00Z');
  s.ingest('alert', alertMsg('new', { id: 'y', at: t0 }));
  s.ingest('status', statusMsg({ alert: null, at: new Date(t0.getTime() - 5000) }));
  t.truthy(s.snapshot().alert, 'a status older than the alert does not clear it');
  s.ingest('status', statusMsg({ alert: null, at: new Date(t0.getTime() + 5000) }));
  t.is(s.snapshot().alert, null);
});

test('an end for another alert does not clear the current one', (t) => {
  const s = state();
  s.ingest('alert', alertMsg('new', { id: 'b' }));
  s.ingest('alert', alertMsg('end', { id: 'a' }));
  t.is(s.snapshot().alert!.alert_id, 'b');
  t.is(s.snapshot().lastEnded!.alert_id, 'a');
});

test('bounded history; garbage is ignored', (t) => {
  const s = state();
  for (const [i, sha] of ['a', 'b', 'c', 'd'].entries()) t.truthy(s.ingest('result', result(sha, i / 10)));
  t.deepEqual(s.snapshot().history.map((p) => p.rel), ['b.png', 'c.png', 'd.png']);
  for (const junk of [null, 42, 'text', [], { prediction: { f1: 'high' } }, { image: { sha256: 'short' }, prediction: { f1: 0.5 } }]) t.is(s.ingest('result', junk), null);
  t.is(s.ingest('digest', { images: 3 }), null, 'topics the page does not show');
  t.is(s.ingest('alert', { state: 'bogus' }), null);
  t.is(s.snapshot().history.length, 3);
});

test('the latest result says why its F1 is not to be trusted, in the alert hint\'s words; malformed domain fields do not break it', (t) => {
  const s = state();
  const withDomain = (inDomain: unknown, extra: Record<string, unknown> = {}) => {
    const m = result('e', 0.2) as { prediction: Record<string, unknown> };
    m.prediction = { ...m.prediction, in_domain: inDomain, ...extra };
    s.ingest('result', m);
    return s.snapshot().latest!.domain;
  };
  t.is(withDomain(undefined), null, 'no domain reference: nothing to say');
  t.is(withDomain({ in_domain: true, distance: 0.2, percentile: 40 }), '');
  t.is(withDomain({ in_domain: false, distance: 1, percentile: 50, image: { in_domain: false, distance: 3, percentile: 99.3 } }, { point_f1: 0.31 }),
    'unlike any real micrograph (its pixel statistics farther from theirs than 99.3% of them): the predicted F1 is not reliable and is shown at its interval\'s lower end (the forest said 0.31)');
  t.regex(withDomain({ in_domain: false, distance: 'far', percentile: null, image: { in_domain: false, colour_share: 0.5 } })!, /^a colour picture, not a micrograph \(50% of its pixels coloured\)/);
});
