/**
 * End to end in a real browser: Debian's headless Chromium driven by playwright-core loads
 * the live view from a real server fed through a real broker, shows the F1 history, the
 * overlay and the alert banner, follows new messages live, and renders hostile strings as
 * text. Skips when /usr/bin/chromium is absent, unless TEMGUARD_REQUIRE_CHROMIUM=1 (CI).
 *
 * TEMGUARD_WRITE_SCREENSHOT=1 writes docs/web/live-view.png (the committed screenshot);
 * otherwise the screenshot goes to a temporary directory.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { simulate } from '../../agent/commands/simulate.js';
import { silentLogger } from '../../agent/log.js';
import { PACKAGE_ROOT } from '../../agent/paths.js';
import { startWebServer } from '../../agent/web/server.js';
import { OwnImages, type OwnResult } from '../../agent/web/own-images.js';
import { aedes, freePort, waitFor } from '../helpers/broker.js';
import { alertMsg, availabilityMsg, errorMsg, infoMsg, resultMsg, ROOT, statusMsg, type ResultSpec } from './messages.js';

const CHROMIUM = '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const REQUIRED = process.env.TEMGUARD_REQUIRE_CHROMIUM === '1';

if (!HAVE_CHROMIUM && REQUIRED) {
  test('chromium is required (TEMGUARD_REQUIRE_CHROMIUM=1)', (t) => t.fail(`${CHROMIUM} is missing: apt-get install -y chromium`));
} else if (!HAVE_CHROMIUM) {
  test.skip('live view in headless Chromium (needs /usr/bin/chromium)', () => {});
} else {
  test('live view in headless Chromium: history, overlay, alert banner, live updates, escaping', liveView);
}

/** Simulated, labelled TEM images: their cavity labels stand in for detections. */
async function labelledImages(out: string): Promise<{ spec: Omit<ResultSpec, 'f1'>; }[]> {
  const code = await simulate(['--out', out, '--count', '2', '--seed', '11', '--size', '768'], { stdout: () => {}, stderr: () => {} });
  if (code !== 0) throw new Error(`simulate exited ${code}`);
  const coco = JSON.parse(readFileSync(join(out, 'annotations.json'), 'utf8')) as { images: { id: number; file_name: string; width: number; height: number }[]; annotations: { image_id: number; bbox: number[] }[] };
  let s = 12345;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return coco.images.map((im) => {
    const path = join(out, im.file_name);
    const items = coco.annotations.filter((a) => a.image_id === im.id).map((a) => {
      const [x, y, w, h] = a.bbox as [number, number, number, number];
      return { box: [x, y, x + w, y + h] as [number, number, number, number], score: Math.round((0.3 + 0.7 * Math.sqrt(rand())) * 1000) / 1000 };
    });
    return { spec: { path, rel: `session-2026-11-28/${im.file_name}`, sha256: createHash('sha256').update(readFileSync(path)).digest('hex'), width: im.width, height: im.height, items } };
  });
}

/** A plausible session: good quality, then a drift below the threshold (focus lost). */
function f1At(i: number): number {
  const wobble = 0.04 * Math.sin(i * 1.7) + 0.02 * Math.cos(i * 3.1);
  return Math.round((i < 30 ? 0.8 + wobble : 0.47 + wobble) * 1000) / 1000;
}

async function liveView(t: import('ava').ExecutionContext): Promise<void> {
  const { chromium } = await import('playwright-core');
  // The images stand for the agent's own results, in its watch directory (the only overlays served).
  const watchDir = mkdtempSync(join(tmpdir(), 'tg-web-e2e-'));
  const images = await labelledImages(watchDir);
  const own = new OwnImages({ max: 8, watchDir: () => watchDir });
  const port = await freePort();
  const broker = await aedes(port);
  t.teardown(() => broker.close());
  const mqttUrl = `mqtt://127.0.0.1:${port}`;
  const web = await startWebServer({ listen: '127.0.0.1:0', mqttUrl, root: ROOT, own, log: silentLogger });
  t.teardown(() => web.close());
  const pub = await mqtt.connectAsync(mqttUrl, { reconnectPeriod: 0 });
  t.teardown(() => pub.endAsync(true));
  const publish = (name: string, msg: object, retain = false) => pub.publishAsync(`${ROOT}/${name}`, JSON.stringify(msg), { qos: 1, retain });
  await waitFor(async () => ((await (await fetch(new URL('api/state', web.url))).json()) as { link: { connected: boolean } }).link.connected, 10_000, 'web server subscribed');

  const N = 40, BEFORE = 30;
  const start = Date.now() - N * 45_000;
  const at = (i: number) => new Date(start + i * 45_000);
  const result = (i: number) => {
    const f1 = f1At(i);
    // The last frame is unlike any real micrograph: the agent published its lower bound and the forest's own number.
    const domain = i === N - 1
      ? { in_domain: { in_domain: false, distance: 0.9, percentile: 61, image: { in_domain: false, distance: 3.1, percentile: 99.6 } }, point_f1: 0.47 }
      : { in_domain: { in_domain: true, distance: 0.4, percentile: 35, image: { in_domain: true, distance: 1.1, percentile: 42 } } };
    const msg = resultMsg({ ...images[i % images.length]!.spec, f1, interval: [Math.max(0, f1 - 0.09), Math.min(1, f1 + 0.07)], threshold: 0.6, at: at(i), ep: 'cuda', prediction: domain });
    own.record(msg as unknown as OwnResult);
    return msg;
  };
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1440, height: 960 }, deviceScaleFactor: 1 });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  const external: string[] = [];
  page.on('request', (r) => { if (!r.url().startsWith(web.url)) external.push(r.url()); });

  // Before anything arrives: an empty, honest page.
  await page.goto(web.url);
  await page.locator('#chart text.empty').waitFor({ timeout: 10_000 });
  t.true(await page.locator('#overlay').isHidden(), 'no broken image before the first result');
  t.regex((await page.locator('#overlay-msg').textContent())!, /No image yet/);

  // A session in progress, then the page (re)loads: it starts from /api/state.
  await publish('availability', availabilityMsg('online'), true);
  await publish('info', infoMsg(), true);
  for (let i = 0; i < BEFORE; i++) await publish('result', result(i));
  await publish('status', statusMsg({ depth: 0, at: at(BEFORE) }), true);
  await waitFor(async () => ((await (await fetch(new URL('api/state', web.url))).json()) as { history: unknown[] }).history.length === BEFORE, 10_000, 'server has the session');
  await page.reload();
  await page.waitForFunction((n) => document.querySelectorAll('#chart circle.pt').length === n, BEFORE, { timeout: 15_000 });
  t.is(await page.locator('#chart circle.pt.low').count(), 0, 'no low point yet');
  t.true(await page.locator('#alert').isHidden(), 'no alert banner yet');
  t.regex((await page.locator('#pill-stream').textContent())!, /live/);
  t.regex((await page.locator('#pill-agent').textContent())!, /online/);

  // Live: the session drifts below the threshold, the agent raises an alert.
  for (let i = BEFORE; i < N; i++) await publish('result', result(i));
  const low = Array.from({ length: N }, (_, i) => f1At(i)).filter((f) => f < 0.6);
  const figures = { low_images: low.length, images: low.length, mean_f1: Math.round((low.reduce((a, b) => a + b, 0) / low.length) * 1e4) / 1e4, min_f1: Math.min(...low), last_image: images[(N - 1) % images.length]!.spec.rel };
  await publish('alert', alertMsg('new', { at: at(N - 1), started: at(BEFORE), figures }));
  const counters = { processed: N + 1, results: N, errors: 1, low: low.length };
  await publish('status', statusMsg({ depth: 2, alert: { alert_id: 'a-1', started: at(BEFORE).toISOString(), low_images: low.length }, at: at(N), counters }), true);
  await publish('error', errorMsg('session-2026-11-28/<img src=x onerror=alert(1)>.dm4', 'truncated: file ends at byte 1048576 of 4194304 (still being written?)'));
  await page.waitForFunction((n) => document.querySelectorAll('#chart circle.pt').length === n, N, { timeout: 15_000 });
  t.is(await page.locator('#chart circle.pt.low').count(), low.length, 'low points are marked');
  t.is(await page.locator('#chart polygon.band').count(), 1, 'interval band drawn');
  t.is(await page.locator('#chart line.threshold').count(), 1, 'threshold line drawn');
  await page.locator('#chart rect.alert-zone').waitFor({ timeout: 10_000 });
  await page.locator('#alert').waitFor({ state: 'visible', timeout: 10_000 });
  t.regex((await page.locator('#alert-hint').textContent())!, /check focus/);
  t.regex((await page.locator('#latest-f1').textContent())!, new RegExp(f1At(N - 1).toFixed(2)));
  t.regex((await page.locator('#latest-kv').textContent())!, /unlike any real micrograph .*99\.6%.*the forest said 0\.47/);
  await page.waitForFunction(() => { const i = document.getElementById('overlay') as HTMLImageElement; return !i.hidden && i.complete && i.naturalWidth > 0; }, undefined, { timeout: 20_000 });
  t.is(await page.locator('#overlay').evaluate((i: HTMLImageElement) => i.naturalWidth), 768);
  const full = await page.locator('#overlay-link').getAttribute('href');
  t.regex(full!, /^\/overlay\/[0-9a-f]{64}\.png$/, 'the overlay links to its full PNG');
  t.is((await page.request.get(new URL(full!, web.url).href)).headers()['content-type'], 'image/png');
  await page.waitForFunction(() => document.querySelectorAll('#errors li .err-msg').length === 1, undefined, { timeout: 10_000 });
  t.is(await page.locator('#errors img').count(), 0, 'a hostile file name is shown as text, not HTML');
  t.regex((await page.locator('#errors .err-msg').textContent())!, /<img src=x onerror=alert\(1\)>\.dm4/);
  t.regex((await page.locator('#status-kv').textContent())!, /2 \/ 256/);
  t.regex((await page.locator('#pill-stream').textContent())!, /live/, 'an agent error message does not look like a broken stream');

  const shot = await page.screenshot({ fullPage: true });
  t.true(shot.length > 20_000, 'screenshot has content');
  const dir = process.env.TEMGUARD_WRITE_SCREENSHOT === '1' ? join(PACKAGE_ROOT, 'docs', 'web') : mkdtempSync(join(tmpdir(), 'tg-shot-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'live-view.png'), shot);
  t.log(`screenshot: ${join(dir, 'live-view.png')}`);

  // Quality recovers: the banner goes, a recovery note stays.
  await publish('alert', alertMsg('end', { at: new Date(), started: at(BEFORE), figures: { ...figures, images: figures.images + 3 } }));
  await page.locator('#alert').waitFor({ state: 'hidden', timeout: 10_000 });
  t.regex((await page.locator('#recovered').textContent())!, /recovered/);

  t.deepEqual(external, [], 'no request leaves the server');
  t.deepEqual(problems, []);
  const weight = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => !/\/overlay\//.test(e.name)).reduce((s, e) => s + (e as PerformanceResourceTiming).encodedBodySize, 0));
  const nav = await page.evaluate(() => { const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming; return { dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd }; });
  t.log(`page weight without the overlay image: ${weight} bytes; last (re)load: DOMContentLoaded ${nav.dcl.toFixed(0)} ms, load ${nav.load.toFixed(0)} ms`);
}
