/** The stall watch and its session window over a manual clock (local time, as the window is). */
import test from 'ava';
import { envelope } from '../../agent/pipeline/payloads.js';
import { parseWindow } from '../../agent/stall/window.js';
import { StallWatch } from '../../agent/stall/watch.js';
import { schemaErrors } from '../helpers/schemas.js';

const at = (h: number, m = 0) => new Date(2026, 11, 2, h, m).getTime();
const MIN = 60_000;

test('window: day, across midnight, always; bad input is a clear error', (t) => {
  const day = parseWindow('08:00-18:00');
  t.true(day.contains(at(8)));
  t.true(day.contains(at(17, 59)));
  t.false(day.contains(at(18)));
  t.false(day.contains(at(7, 59)));
  t.is(day.openedAt(at(9, 30)), at(8));
  const night = parseWindow('22:00-06:00');
  t.true(night.contains(at(23)));
  t.true(night.contains(at(5, 59)));
  t.false(night.contains(at(12)));
  t.is(night.openedAt(at(2)), at(22) - 86_400_000);
  t.true(parseWindow('always').contains(at(3)));
  t.throws(() => parseWindow('8-18'), { message: /stall.window: "8" is not a time HH:MM/ });
  t.throws(() => parseWindow('08:00'), { message: /expected "HH:MM-HH:MM"/ });
  t.throws(() => parseWindow('09:00-09:00'), { message: /is empty/ });
  t.throws(() => parseWindow('24:00-09:00'), { message: /not a time/ });
});

test('stall: raised after N quiet minutes in the window, ended by the next image, schema-valid', (t) => {
  let now = at(7, 50);
  const w = new StallWatch({ minutes: 15, window: parseWindow('08:00-18:00'), now: () => now });
  now = at(8, 10);
  t.is(w.check(), null, 'counted from the window opening, not from the start the evening before');
  w.arrived('a.tif');
  now = at(8, 24);
  t.is(w.check(), null, '14 min since the last image');
  now = at(8, 25);
  const s = w.check();
  t.truthy(s);
  t.is(s!.state, 'new');
  t.is(s!.last_image, 'a.tif');
  t.is(s!.last_image_at, new Date(at(8, 10)).toISOString());
  t.is(w.current, s);
  t.is(w.check(), null, 'one stall at a time');
  const env = (body: object) => ({ ...envelope('alert', 1, 'tem-1', body, new Date(now)) });
  t.is(schemaErrors('alert-stall', env(s!)), null);
  now = at(8, 40);
  const e = w.arrived('b.tif');
  t.is(e!.state, 'end');
  t.is(e!.alert_id, s!.alert_id);
  t.is(e!.ended, new Date(at(8, 40)).toISOString());
  t.is(schemaErrors('alert-stall', env(e!)), null);
  t.is(w.current, null);
  t.is(w.arrived('c.tif'), null, 'no stall, nothing to end');
  const { ended: _e, ...noEnded } = e!;
  t.not(schemaErrors('alert-stall', env(noEnded)), null, 'an end without ended is refused');
});

test('stall: outside the window nothing is raised, however long the quiet', (t) => {
  let now = at(18, 30);
  const w = new StallWatch({ minutes: 5, window: parseWindow('08:00-18:00'), now: () => now });
  for (let m = 0; m < 13 * 60; m += 10) { now = at(18, 30) + m * MIN; t.is(w.check(), null); }
  const DAY = 86_400_000;
  now = at(8, 4) + DAY;
  t.is(w.check(), null);
  now = at(8, 5) + DAY;
  t.is(w.check()?.last_image, null, 'no image since the agent started');
});
