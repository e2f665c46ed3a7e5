/**
 * Commands over a real broker (aedes on loopback), zigbee2mqtt style: request/<name> ->
 * response/<name>. Bad requests of every kind are answered with an error and change nothing.
 */
import test from 'ava';
import mqtt from 'mqtt';
import { AlertGate } from '../../agent/control/alert-gate.js';
import { registerBuiltinCommands } from '../../agent/control/builtin.js';
import { CommandRegistry } from '../../agent/control/registry.js';
import { answer, startCommandRouter, type Router } from '../../agent/control/router.js';
import { LiveSettings } from '../../agent/control/settings.js';
import { silentLogger } from '../../agent/log.js';
import { AlertTracker } from '../../agent/pipeline/alerts.js';
import { FEATURE_NAMES, type Features, type Prediction } from '../../agent/types.js';
import { aedes, freePort } from '../helpers/broker.js';
import { schemaErrors } from '../helpers/schemas.js';
import { ManualClock } from '../daemon/helpers.js';

const ROOT = 'temguard/ctl-1';
const features = Object.fromEntries(FEATURE_NAMES.map((n) => [n, 0.5])) as unknown as Features;

async function setup(t: { teardown(fn: () => Promise<void> | void): void }) {
  const port = await freePort();
  const broker = await aedes(port);
  const clock = new ManualClock();
  const alertOptions = { enterAfter: 2, exitAfter: 2, updateEvery: 1 };
  const alerts = new AlertTracker(alertOptions);
  const settings = new LiveSettings(0.5, alertOptions);
  const gate = new AlertGate(clock);
  const registry = new CommandRegistry();
  let changes = 0;
  registerBuiltinCommands(registry, { gate, settings, currentAlert: () => alerts.current, changed: () => changes++, log: silentLogger });
  const url = `mqtt://127.0.0.1:${port}`;
  const router: Router = await startCommandRouter({ url, mqtt: { clientId: 'tg-ctl-test' }, root: ROOT, instrument: 'ctl-1', registry, clock, log: silentLogger });
  const client = await mqtt.connectAsync(url);
  const responses: { topic: string; payload: Record<string, unknown> }[] = [];
  const waiters: (() => void)[] = [];
  client.on('message', (topic, buf) => { responses.push({ topic, payload: JSON.parse(buf.toString()) }); for (const w of waiters.splice(0)) w(); });
  await client.subscribeAsync(`${ROOT}/response/#`, { qos: 1 });
  // The router subscribes on connect: a request with a transaction proves it listens.
  const request = async (name: string, body: string | object, retain = false): Promise<Record<string, unknown>> => {
    const n = responses.length;
    const got = new Promise<void>((resolve) => { const check = () => (responses.length > n ? resolve() : waiters.push(check)); check(); });
    await client.publishAsync(`${ROOT}/request/${name}`, typeof body === 'string' ? body : JSON.stringify(body), { qos: 1, retain });
    await got;
    const r = responses[n]!;
    if (r.topic !== `${ROOT}/response/${name}`) throw new Error(`answered on ${r.topic}`);
    const err = schemaErrors('response', r.payload);
    if (err) throw new Error(`response not schema-valid: ${err}`);
    return r.payload;
  };
  // Wait for the router's subscription: retry an idempotent request until answered.
  for (let i = 0; ; i++) {
    const answered = await Promise.race([request('threshold/set', { transaction: `ping-${i}`, enter_after: 2 }).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))]);
    if (answered) break;
  }
  t.teardown(async () => { await client.endAsync(); await router.stop(); await broker.close(); });
  const low = (f1: number): Prediction => ({ f1, precision: f1, recall: f1, low: f1 < settings.f1Threshold, threshold: settings.f1Threshold });
  return { request, registry, settings, gate, alerts, clock, low, changes: () => changes };
}

test('threshold/set changes only the whitelisted live settings; every bad request is an error with no effect', async (t) => {
  const s = await setup(t);
  const before = s.settings.values();
  const ok = await s.request('threshold/set', { f1_threshold: 0.6, exit_after: 4, transaction: 'tx-1' });
  t.is(ok.status, 'ok');
  t.is(ok.transaction, 'tx-1');
  t.deepEqual((ok.data as { previous: unknown }).previous, before);
  t.deepEqual(s.settings.values(), { f1_threshold: 0.6, enter_after: 2, exit_after: 4 });
  const now = s.settings.values();
  const bad: [string, string | object, RegExp][] = [
    ['threshold/set', { f1_threshold: 2 }, /f1_threshold must be <= 1/],
    ['threshold/set', { f1_threshold: 0.3, colour: 'red' }, /additional properties/],
    ['threshold/set', {}, /fewer than 1 properties|must NOT have fewer/],
    ['threshold/set', 'not json {', /not JSON/],
    ['threshold/set', '[1,2]', /JSON object/],
    ['threshold/set', { enter_after: 1.5 }, /integer/],
    ['reboot', {}, /unknown command "reboot" \(known: alert\/ack, alert\/snooze, threshold\/set\)/],
    ['alert/snooze', { minutes: -5 }, /minutes must be >= 0/],
  ];
  for (const [name, body, why] of bad) {
    const r = await s.request(name, body);
    t.is(r.status, 'error', `${name} ${JSON.stringify(body)}`);
    t.regex(String(r.error), why);
    t.deepEqual(r.data, {});
  }
  // A retained request reaches a live subscriber with retain 0 (MQTT), but comes back with retain 1
  // at every reconnect: that replay is refused.
  const replay = await answer({ registry: s.registry, clock: s.clock, log: silentLogger, instrument: 'ctl-1' }, 'threshold/set', Buffer.from('{"f1_threshold":0.1}'), true);
  t.is(replay.status, 'error');
  t.regex(String(replay.error), /retained/);
  t.deepEqual(s.settings.values(), now, 'no bad request changed anything');
  t.deepEqual(s.gate.state(), { acknowledged: null, snoozed_until: null });
});

test('alert/ack stops updates of the active alert but not its end; alert/snooze holds alert messages for its minutes', async (t) => {
  const s = await setup(t);
  const noAlert = await s.request('alert/ack', {});
  t.is(noAlert.status, 'error');
  t.regex(String(noAlert.error), /no alert is active/);
  const observe = (f1: number) => { const ev = s.alerts.observe(s.low(f1), features, 'x.png'); return ev && s.gate.pass(ev) ? ev.state : null; };
  t.is(observe(0.2), null);
  t.is(observe(0.2), 'new');
  t.is(observe(0.2), 'update');
  const wrong = await s.request('alert/ack', { alert_id: 'not-this-one' });
  t.is(wrong.status, 'error');
  const ack = await s.request('alert/ack', { alert_id: s.alerts.current!.alert_id });
  t.is(ack.status, 'ok');
  t.is(observe(0.2), null, 'acknowledged: no more updates');
  t.is(observe(0.9), null);
  t.is(observe(0.9), 'end', 'the end of an acknowledged alert is still published');

  const snooze = await s.request('alert/snooze', { minutes: 30 });
  t.is(snooze.status, 'ok');
  t.is((snooze.data as { snoozed_until: string }).snoozed_until, new Date(s.clock.now() + 30 * 60_000).toISOString());
  t.is(observe(0.2), null);
  t.is(observe(0.2), null, 'snoozed: no new alert');
  t.is(observe(0.9), null);
  t.is(observe(0.9), null, 'and no end for an alert never announced');
  await s.clock.advance(30 * 60_000);
  t.is(s.gate.state().snoozed_until, null);
  t.is(observe(0.2), null);
  t.is(observe(0.2), 'new', 'after the snooze, alerts are published again');
  t.true(s.changes() >= 3);
});
