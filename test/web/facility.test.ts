/**
 * The facility page: two instruments publishing on one real broker (aedes on loopback), the
 * live view's server of one of them, and headless Chromium reading /facility. Plus the
 * picture's own rules (FacilityState) on real message bytes. Skips the browser part when
 * /usr/bin/chromium is absent, unless TEMGUARD_REQUIRE_CHROMIUM=1 (CI).
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import mqtt from 'mqtt';
import { silentLogger } from '../../agent/log.js';
import { FacilityState } from '../../agent/web/facility-state.js';
import { startWebServer } from '../../agent/web/server.js';
import { aedes, freePort } from '../helpers/broker.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const REQUIRED = process.env.TEMGUARD_REQUIRE_CHROMIUM === '1';
const buf = (o: unknown) => Buffer.from(JSON.stringify(o));
const started = '2026-12-02T09:00:00.000Z';

test('facility state: one row per instrument; alert end by id; junk and foreign topics ignored; bounded', (t) => {
  const s = new FacilityState('temguard', 2);
  t.true(s.onMessage('temguard/tem-a/availability', buf({ state: 'online', ts: started })));
  t.true(s.onMessage('temguard/tem-a/result', buf({ prediction: { f1: 0.81, low: false }, image: { rel: 'x/1.tif' } })));
  t.true(s.onMessage('temguard/tem-a/alert', buf({ state: 'new', alert_id: 'A1', started, kind: 'stall', hint: 'no new image' })));
  t.true(s.onMessage('temguard/tem-a/alert', buf({ state: 'end', alert_id: 'OTHER' })));
  t.is(s.snapshot()[0]!.alert?.alert_id, 'A1', 'an end for another alert leaves this one');
  t.false(s.onMessage('temguard/tem-a/result', Buffer.from('{not json')));
  t.false(s.onMessage('other/tem-a/result', buf({})));
  t.false(s.onMessage('temguard/tem-a/response/label', buf({})));
  t.false(s.onMessage('temguard/bad id/status', buf({ state: 'running' })));
  s.onMessage('temguard/tem-b/status', buf({ state: 'running' }));
  t.false(s.onMessage('temguard/tem-c/status', buf({ state: 'running' })), 'a third instrument over max is not kept');
  const [a, b] = s.snapshot();
  t.like(a, { instrument: 'tem-a', availability: 'online', last_f1: 0.81, last_low: false, last_image: 'x/1.tif', alert: { kind: 'stall', started } });
  t.like(b, { instrument: 'tem-b', state: 'running', alert: null });
  s.onMessage('temguard/tem-a/alert', buf({ state: 'end', alert_id: 'A1' }));
  t.is(s.snapshot()[0]!.alert, null);
});

if (!HAVE_CHROMIUM && REQUIRED) {
  test('chromium is required (TEMGUARD_REQUIRE_CHROMIUM=1)', (t) => t.fail(`${CHROMIUM} is missing`));
} else if (!HAVE_CHROMIUM) {
  test.skip('facility view in headless Chromium (needs /usr/bin/chromium)', () => {});
} else {
  test('facility view in headless Chromium: two instruments on one broker, live changes', async (t) => {
    const { chromium } = await import('playwright-core');
    const port = await freePort();
    const broker = await aedes(port);
    t.teardown(() => broker.close());
    const url = `mqtt://127.0.0.1:${port}`;
    const [a, b] = await Promise.all([mqtt.connectAsync(url, { reconnectPeriod: 0 }), mqtt.connectAsync(url, { reconnectPeriod: 0 })]);
    t.teardown(() => Promise.all([a.endAsync(true), b.endAsync(true)]));
    const pub = (c: mqtt.MqttClient, topic: string, o: object, retain = true) => c.publishAsync(topic, JSON.stringify(o), { qos: 1, retain });
    await pub(a, 'temguard/tem-a/availability', { state: 'online' });
    await pub(a, 'temguard/tem-a/status', { state: 'running' });
    await pub(a, 'temguard/tem-a/result', { prediction: { f1: 0.82, low: false }, image: { rel: 's/a1.tif' } });
    await pub(b, 'temguard/tem-b/availability', { state: 'online' });
    await pub(b, 'temguard/tem-b/result', { prediction: { f1: 0.41, low: true }, image: { rel: 's/<b>1</b>.tif' } });
    await pub(b, 'temguard/tem-b/alert', { state: 'new', alert_id: 'B1', started, hint: 'under-focus' });

    const web = await startWebServer({ listen: '127.0.0.1:0', mqttUrl: url, root: 'temguard/tem-a', log: silentLogger });
    t.teardown(() => web.close());
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    t.teardown(() => browser.close());
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(new URL('facility', web.url).href);

    const row = (id: string) => page.locator(`tr[data-instrument="${id}"]`);
    await row('tem-b').locator('td.alert.active').waitFor({ timeout: 20_000 });
    t.is(await row('tem-a').locator('td.f1').textContent(), '0.82');
    t.is(await row('tem-a').locator('td.state').textContent(), 'running');
    t.is(await row('tem-b').locator('td.f1').textContent(), '0.41');
    t.true(await row('tem-b').locator('td.f1.low').isVisible());
    t.is(await row('tem-b').locator('td.image').textContent(), 's/<b>1</b>.tif', 'shown as text, not markup');
    t.regex((await row('tem-b').locator('td.alert').textContent())!, /low F1 since .*under-focus/);
    t.is(await row('tem-a').locator('td.alert').textContent(), '');

    // Live: tem-b's alert ends and tem-a goes offline; the page follows without a reload.
    await pub(b, 'temguard/tem-b/alert', { state: 'end', alert_id: 'B1', ended: started }, false);
    await pub(a, 'temguard/tem-a/availability', { state: 'offline' });
    await page.waitForFunction(() => document.querySelector('tr[data-instrument="tem-a"] td.availability')?.textContent === 'offline'
      && document.querySelector('tr[data-instrument="tem-b"] td.alert')?.textContent === '', undefined, { timeout: 20_000 });
    t.deepEqual(problems, []);
  });
}
