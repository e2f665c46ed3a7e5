import test from 'ava';
import { LiveState } from '../../agent/web/state.js';

const fb = (sha: string, realized: number, extra: Record<string, unknown> = {}) => ({
  ts: '2026-01-01T00:00:00Z', image: { sha256: sha, rel: 'a.png' }, predicted: { f1: 0.9 }, realized: { f1: realized }, error: { f1: 0.9 - realized }, ...extra,
});

test('live state: feedback becomes a realized-F1 point; a relabel replaces it; malformed ones are dropped', (t) => {
  const s = new LiveState({ root: 'temguard/x', history: 3 });
  const a = 'a'.repeat(64);
  const ev = s.ingest('feedback', fb(a, 0.5));
  t.is(ev?.event, 'feedback');
  t.deepEqual(s.snapshot().feedback, [{ ts: '2026-01-01T00:00:00Z', sha256: a, rel: 'a.png', predicted: 0.9, realized: 0.5, error: 0.4 }]);
  s.ingest('feedback', fb(a, 0.7));
  t.is(s.snapshot().feedback.length, 1);
  t.is(s.snapshot().feedback[0]!.realized, 0.7);
  t.is(s.ingest('feedback', fb('../etc', 0.5)), null);
  t.is(s.ingest('feedback', { ...fb('b'.repeat(64), 0.5), realized: { f1: 'high' } }), null);
  for (const c of 'bcde') s.ingest('feedback', fb(c.repeat(64), 0.1));
  t.is(s.snapshot().feedback.length, 3, 'bounded like the history');
});
