import test from 'ava';
import { randomUUID } from 'node:crypto';
import { NoticeGate } from '../../agent/notifications/gate.js';
import { alertNotice, errorNotice } from '../../agent/notifications/notice.js';
import { parseQuietHours } from '../../agent/notifications/quiet.js';
import { alertMsg, errorMsg } from './helpers.js';

const MIN = 60_000;
const T0 = Date.parse('2026-03-02T08:00:00Z');

test('a flapping alert (700 starts and ends in a day) sends a bounded number of messages, and the digest counts the rest', (t) => {
  const o = { cooldownMs: 15 * MIN, maxPerHour: 20, digestMs: 60 * MIN, quiet: null };
  const gate = new NoticeGate(o, T0);
  let sent = 0;
  let held = 0;
  const perHour = new Map<number, number>();
  const digests: string[] = [];
  const count = (now: number) => { const h = Math.floor((now - T0) / 3_600_000); perHour.set(h, (perHour.get(h) ?? 0) + 1); };
  let now = T0;
  for (let i = 0; i < 700; i++) {
    const id = randomUUID();
    for (const state of ['new', 'end'] as const) {
      now += 1 * MIN;
      const d = gate.offer(alertNotice(alertMsg(state, id, now).payload), now);
      if (d === 'send') { sent++; count(now); } else held++;
      const digest = gate.tick(now);
      if (digest) { digests.push(digest.text); count(now); }
    }
  }
  // Per hour: a start (and its end) per 15-minute cooldown, plus one digest: 9 at most, not 60.
  const hours = Math.ceil((now - T0) / 3_600_000);
  for (const [h, c] of perHour) t.true(c <= 2 * 4 + 1, `hour ${h}: ${c} messages`);
  t.true(sent + digests.length <= 9 * hours, `${sent} sent + ${digests.length} digests in ${hours} h`);
  t.true(sent > 0 && held > 1000);
  t.log(`1400 alert events over ${hours} h: ${sent} sent, ${digests.length} digests, ${held} held`);
  t.regex(digests[0]!, /notifications held back/);
  t.regex(digests[0]!, /\d+× tem-1\/alert\/low_f1 new/);
  t.is(digests.length, Math.floor((now - T0) / (60 * MIN)));
});

test('an alert end goes out only when its start did; cooldown is per instrument and kind', (t) => {
  const gate = new NoticeGate({ cooldownMs: 10 * MIN, maxPerHour: 100, digestMs: 60 * MIN, quiet: null }, T0);
  const a = randomUUID(), b = randomUUID(), c = randomUUID();
  t.is(gate.offer(alertNotice(alertMsg('new', a, T0).payload), T0), 'send');
  t.is(gate.offer(alertNotice(alertMsg('end', a, T0 + MIN).payload), T0 + MIN), 'send');
  t.is(gate.offer(alertNotice(alertMsg('new', b, T0 + 2 * MIN).payload), T0 + 2 * MIN), 'hold', 'same kind within the cooldown');
  t.is(gate.offer(alertNotice(alertMsg('end', b, T0 + 3 * MIN).payload), T0 + 3 * MIN), 'hold', 'its start was held');
  t.is(gate.offer(alertNotice(alertMsg('new', c, T0 + 3 * MIN, { kind: 'stall', message: 'no image for 10 min' }).payload), T0 + 3 * MIN), 'send', 'another kind');
  t.is(gate.offer(alertNotice(alertMsg('new', randomUUID(), T0 + 3 * MIN, {}, 'tem-2').payload), T0 + 3 * MIN), 'send', 'another instrument');
  t.is(gate.offer(alertNotice(alertMsg('new', randomUUID(), T0 + 11 * MIN).payload), T0 + 11 * MIN), 'send', 'cooldown over');
  t.is(gate.heldCount, 2);
});

test('errors: one per stage and code per cooldown, a global cap per rolling hour', (t) => {
  const gate = new NoticeGate({ cooldownMs: 0, maxPerHour: 3, digestMs: 60 * MIN, quiet: null }, T0);
  const out = Array.from({ length: 5 }, (_, i) => gate.offer(errorNotice(errorMsg(T0 + i * MIN, `code${i}`).payload), T0 + i * MIN));
  t.deepEqual(out, ['send', 'send', 'send', 'hold', 'hold']);
  t.is(gate.offer(errorNotice(errorMsg(T0 + 61 * MIN, 'late').payload), T0 + 61 * MIN), 'send', 'the first ones left the hour');
  const cooled = new NoticeGate({ cooldownMs: 5 * MIN, maxPerHour: 100, digestMs: 60 * MIN, quiet: null }, T0);
  t.is(cooled.offer(errorNotice(errorMsg(T0).payload), T0), 'send');
  t.is(cooled.offer(errorNotice(errorMsg(T0 + MIN).payload), T0 + MIN), 'hold');
});

test('quiet hours hold everything; the digest goes out after them, not during', (t) => {
  const quiet = parseQuietHours('22:00-07:00', 'Europe/Berlin'); // 21:00-06:00 UTC in winter
  const gate = new NoticeGate({ cooldownMs: 0, maxPerHour: 100, digestMs: 10 * MIN, quiet }, T0);
  const night = Date.parse('2026-03-02T23:30:00Z');
  t.is(gate.offer(alertNotice(alertMsg('new', randomUUID(), night).payload), night), 'hold');
  t.is(gate.offer(errorNotice(errorMsg(night).payload), night), 'hold');
  t.is(gate.tick(night + 60 * MIN), null, 'still quiet');
  const morning = Date.parse('2026-03-03T06:01:00Z'); // 07:01 in Berlin
  const digest = gate.tick(morning);
  t.truthy(digest);
  t.regex(digest!.title, /2 notifications held back \(tem-1\)/);
  t.is(gate.tick(morning + 20 * MIN), null, 'nothing more held');
  t.is(gate.offer(errorNotice(errorMsg(morning).payload), morning), 'send');
});

test('quiet hours: windows that do not wrap, and bad values are clear errors', (t) => {
  const q = parseQuietHours('12:00-13:30', 'UTC')!;
  t.true(q.contains(Date.parse('2026-03-02T12:00:00Z')));
  t.true(q.contains(Date.parse('2026-03-02T13:29:00Z')));
  t.false(q.contains(Date.parse('2026-03-02T13:30:00Z')));
  t.false(q.contains(Date.parse('2026-03-02T11:59:00Z')));
  t.is(parseQuietHours(null, null), null);
  t.throws(() => parseQuietHours('22-7', null), { message: /notify.quiet_hours: expected HH:MM-HH:MM/ });
  t.throws(() => parseQuietHours('25:00-07:00', null), { message: /quiet_hours/ });
  t.throws(() => parseQuietHours('22:00-07:00', 'Mars/Olympus'), { message: /notify.quiet_tz: unknown time zone/ });
});
