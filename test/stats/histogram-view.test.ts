/**
 * The live view's size histogram in a real browser: Debian's headless Chromium loads the page
 * from the real web server fed through a real broker; results carrying the agent's physics
 * block fill the bars, low results are left out. Skips without /usr/bin/chromium.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../agent/paths.js';
import mqtt from 'mqtt';
import { silentLogger } from '../../agent/log.js';
import { sizeHistogram } from '../../agent/stats/histogram.js';
import { startWebServer } from '../../agent/web/server.js';
import { OwnImages } from '../../agent/web/own-images.js';
import { LiveSizes } from '../../agent/web/sizes.js';
import { aedes, freePort, waitFor } from '../helpers/broker.js';
import { resultMsg, ROOT } from '../web/messages.js';

const CHROMIUM = '/usr/bin/chromium';

function withSizes(f1: number, diameters: number[], i: number, defocus: Record<string, unknown> = { defocus_um: -1.234, defocus_sigma_um: 0.1, method: 'fresnel_fringe' }): Record<string, unknown> {
  const msg = resultMsg({ path: `/x/${i}.png`, rel: `${i}.png`, sha256: i.toString(16).padStart(64, '0'), width: 512, height: 512, f1, threshold: 0.5, items: [] });
  return { ...msg, physics: { defocus, statistics: { count: diameters.length, size_histogram: sizeHistogram(diameters) } } };
}

test('LiveSizes: sums reliable results only, ignores malformed bins', (t) => {
  const s = new LiveSizes();
  t.true(s.add({ statistics: { size_histogram: sizeHistogram([3, 3, 5]) } }, false));
  t.false(s.add({ statistics: { size_histogram: sizeHistogram([3]) } }, true));
  t.false(s.add({ statistics: { size_histogram: { counts: [1, 2, 3] } } }, false));
  t.false(s.add({ statistics: { size_histogram: { counts: sizeHistogram([3]).counts.map(() => -1) } } }, false));
  t.false(s.add(null, false));
  const v = s.view();
  t.is(v.images, 1);
  t.is(v.skipped_low, 1);
  t.is(v.counts.reduce((a, b) => a + b, 0), 3);
});

(existsSync(CHROMIUM) ? test : test.skip)('live view: the size histogram draws the reliable results\' cavities (headless Chromium)', async (t) => {
  const { chromium } = await import('playwright-core');
  const port = await freePort();
  const broker = await aedes(port);
  t.teardown(() => broker.close());
  const mqttUrl = `mqtt://127.0.0.1:${port}`;
  const web = await startWebServer({ listen: '127.0.0.1:0', mqttUrl, root: ROOT, own: new OwnImages({ max: 2, watchDir: () => null }), log: silentLogger });
  t.teardown(() => web.close());
  const pub = await mqtt.connectAsync(mqttUrl, { reconnectPeriod: 0 });
  t.teardown(() => pub.endAsync(true));
  await waitFor(async () => ((await (await fetch(new URL('api/state', web.url))).json()) as { link: { connected: boolean } }).link.connected, 10_000, 'web server subscribed');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(web.url);
  await page.locator('#sizes text.empty').waitFor({ timeout: 10_000 });
  // Two reliable images (3 nm x3, 6 nm x1; 3 nm x1) and one low one (40 nm x5, must not show).
  await pub.publishAsync(`${ROOT}/result`, JSON.stringify(withSizes(0.8, [3, 3, 3, 6], 1)), { qos: 1 });
  await pub.publishAsync(`${ROOT}/result`, JSON.stringify(withSizes(0.3, [40, 40, 40, 40, 40], 2)), { qos: 1 });
  await pub.publishAsync(`${ROOT}/result`, JSON.stringify(withSizes(0.9, [3], 3)), { qos: 1 });
  await page.waitForFunction(() => /5 cavities in 2 reliable images/.test(document.getElementById('sizes-summary')!.textContent ?? ''), undefined, { timeout: 10_000 });
  t.regex((await page.locator('#sizes-summary').textContent())!, /1 low image left out/);
  const bars = await page.locator('#sizes rect.bar').evaluateAll((rs) => rs.map((r) => ({ h: Number(r.getAttribute('height')), title: r.querySelector('title')!.textContent })));
  const tall = bars.filter((b) => b.h > 0);
  t.deepEqual(tall.map((b) => b.title), ['2.828–4 nm: 4', '5.657–8 nm: 1']);
  t.true(tall[0]!.h > tall[1]!.h);
  t.false(bars.some((b) => /^(32|45)/.test(b.title!)), 'the low image\'s 40 nm cavities are not drawn');
  // The latest image's defocus, beside its F1; and the reason when it could not be measured.
  t.regex((await page.locator('#latest-kv').textContent())!, /Defocus-1\.23 ± 0\.10 µm \(under-focus\)/);
  await pub.publishAsync(`${ROOT}/result`, JSON.stringify(withSizes(0.9, [3], 4, { defocus_um: null, defocus_sigma_um: null, method: 'fresnel_fringe', reason: 'pixel_size_unknown' })), { qos: 1 });
  await page.waitForFunction(() => /not measured \(pixel size unknown\)/.test(document.getElementById('latest-kv')!.textContent ?? ''), undefined, { timeout: 10_000 });
  await pub.publishAsync(`${ROOT}/result`, JSON.stringify(withSizes(0.9, [3], 5, { defocus_um: null, reason: '<img src=x onerror=alert(1)>' })), { qos: 1 });
  await page.waitForFunction(() => document.getElementById('latest-name')!.textContent === '5.png', undefined, { timeout: 10_000 });
  const defocusRow = () => page.locator('#latest-kv dt', { hasText: 'Defocus' }).locator('xpath=following-sibling::dd[1]').textContent();
  t.is(await defocusRow(), '—', 'a reason that is not a reason word is not shown');
  t.is(await page.locator('#latest-kv img').count(), 0, 'a hostile reason is never markup');
  // A reload starts from /api/state and shows the same.
  await page.reload();
  await page.waitForFunction(() => /7 cavities in 4 reliable images/.test(document.getElementById('sizes-summary')!.textContent ?? ''), undefined, { timeout: 10_000 });
  t.deepEqual(problems, []);
  if (process.env.TEMGUARD_WRITE_SCREENSHOT === '1') {
    // docs/physics/live-sizes.png: a session-like log-normal spread of sizes (median ~5 nm).
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    for (let i = 10; i < 40; i++) await pub.publishAsync(`${ROOT}/result`, JSON.stringify(withSizes(0.85, Array.from({ length: 40 }, () => 5 * Math.exp(0.45 * gauss())), i)), { qos: 1 });
    await page.waitForFunction(() => /in 34 reliable images/.test(document.getElementById('sizes-summary')!.textContent ?? ''), undefined, { timeout: 10_000 });
    await page.locator('.sizes-card').screenshot({ path: join(PACKAGE_ROOT, 'docs', 'physics', 'live-sizes.png') });
  }
});
