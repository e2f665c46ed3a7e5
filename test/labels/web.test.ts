/**
 * Spot-check labelling in a real browser: Debian's headless Chromium (playwright-core) on the
 * live view, fed by a real broker, with the agent's real label service behind it (label file
 * in a temp state dir). The operator confirms a suggested image, then marks a detection wrong
 * and drags a missed cavity on the latest one; the label lands in the COCO file, the feedback
 * (schema-valid) comes back over MQTT and the chart shows the realized F1 beside the predicted.
 * Skips without /usr/bin/chromium unless TEMGUARD_REQUIRE_CHROMIUM=1.
 *
 * TEMGUARD_WRITE_SCREENSHOT=1 writes docs/web/labels.png (the committed screenshot).
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { simulate } from '../../agent/commands/simulate.js';
import { LabelService } from '../../agent/labels/service.js';
import { LABELS_FILE, LabelStore } from '../../agent/labels/store.js';
import { silentLogger } from '../../agent/log.js';
import type { ImageResult } from '../../agent/pipeline/analyse.js';
import { envelope } from '../../agent/pipeline/payloads.js';
import { PACKAGE_ROOT } from '../../agent/paths.js';
import { OwnImages, type OwnResult } from '../../agent/web/own-images.js';
import { startWebServer } from '../../agent/web/server.js';
import type { Box } from '../../agent/types.js';
import { aedes, freePort, waitFor } from '../helpers/broker.js';
import { schemaErrors } from '../helpers/schemas.js';
import { INSTRUMENT, nextSeq, resultMsg, ROOT } from '../web/messages.js';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM) && process.env.TEMGUARD_REQUIRE_CHROMIUM === '1') {
  test('chromium is required (TEMGUARD_REQUIRE_CHROMIUM=1)', (t) => t.fail(`${CHROMIUM} is missing`));
} else if (!existsSync(CHROMIUM)) {
  test.skip('labelling in headless Chromium (needs /usr/bin/chromium)', () => {});
} else {
  test('labelling in headless Chromium: confirm, mark wrong, add a missed cavity, realized F1 in the chart', labelling);
}

/** Two simulated images; their true cavities stand in for the detector's boxes. */
async function images(out: string) {
  const code = await simulate(['--out', out, '--count', '2', '--seed', '5', '--size', '512'], { stdout: () => {}, stderr: () => {} });
  if (code !== 0) throw new Error(`simulate exited ${code}`);
  const coco = JSON.parse(readFileSync(join(out, 'annotations.json'), 'utf8')) as { images: { id: number; file_name: string; width: number; height: number }[]; annotations: { image_id: number; bbox: number[] }[] };
  return coco.images.map((im) => {
    const path = join(out, im.file_name);
    const items = coco.annotations.filter((a) => a.image_id === im.id).map((a) => ({ box: [a.bbox[0]!, a.bbox[1]!, a.bbox[0]! + a.bbox[2]!, a.bbox[1]! + a.bbox[3]!] as Box, score: 0.8 }));
    return { path, rel: `session/${im.file_name}`, sha256: createHash('sha256').update(readFileSync(path)).digest('hex'), width: im.width, height: im.height, items };
  });
}

/** A 40 px square (image pixels) that touches no box, for the drag. */
function emptySpot(boxes: Box[], w: number, h: number): Box {
  for (let y = 10; y + 50 < h; y += 10) {
    for (let x = 10; x + 50 < w; x += 10) {
      const b: Box = [x, y, x + 40, y + 40];
      if (!boxes.some((o) => o[0] < b[2] + 6 && o[2] > b[0] - 6 && o[1] < b[3] + 6 && o[3] > b[1] - 6)) return b;
    }
  }
  throw new Error('no empty spot');
}

async function labelling(t: import('ava').ExecutionContext): Promise<void> {
  const { chromium } = await import('playwright-core');
  const watchDir = mkdtempSync(join(tmpdir(), 'tg-label-web-'));
  const stateDir = mkdtempSync(join(tmpdir(), 'tg-label-state-'));
  const imgs = await images(watchDir);
  const own = new OwnImages({ max: 8, watchDir: () => watchDir });
  const port = await freePort();
  const broker = await aedes(port);
  t.teardown(() => broker.close());
  const url = `mqtt://127.0.0.1:${port}`;
  const pub = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  t.teardown(() => pub.endAsync(true));
  const feedback: Record<string, unknown>[] = [];
  // As the daemon does: the service's feedback goes out as a `feedback` message.
  const service = new LabelService({
    store: LabelStore.open(stateDir), stateDir, calibrateAfter: 20, now: () => new Date(),
    publish: (body) => { const m = envelope('feedback', nextSeq(), INSTRUMENT, body); feedback.push(m); void pub.publishAsync(`${ROOT}/feedback`, JSON.stringify(m), { qos: 1 }); },
  }, null);
  const web = await startWebServer({ listen: '127.0.0.1:0', mqttUrl: url, root: ROOT, own, labels: service, log: silentLogger });
  t.teardown(() => web.close());
  await waitFor(async () => ((await (await fetch(new URL('api/state', web.url))).json()) as { link: { connected: boolean } }).link.connected, 10_000, 'web server subscribed');

  const f1s = [0.82, 0.78, 0.55, 0.9, 0.71, 0.86];
  const start = Date.now() - f1s.length * 30_000;
  for (let i = 0; i < f1s.length; i++) {
    const spec = imgs[i % 2]!;
    const msg = resultMsg({ ...spec, f1: f1s[i]!, interval: [f1s[i]! - (i === 4 ? 0.3 : 0.08), Math.min(1, f1s[i]! + 0.06)], at: new Date(start + i * 30_000) });
    own.record(msg as unknown as OwnResult);
    service.onResult(msg as unknown as ImageResult, String(msg.ts));
    await pub.publishAsync(`${ROOT}/result`, JSON.stringify(msg), { qos: 1 });
  }
  const latest = imgs[(f1s.length - 1) % 2]!;
  const other = imgs[(f1s.length - 2) % 2]!;

  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1440, height: 1100 }, deviceScaleFactor: 1 });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(web.url);
  await page.waitForFunction((n) => document.querySelectorAll('#chart circle.pt').length === n, f1s.length, { timeout: 15_000 });

  // Suggestions: both images, the one with the wide interval first.
  await page.waitForFunction(() => document.querySelectorAll('#suggestions .suggest-btn').length === 2, undefined, { timeout: 10_000 });
  t.regex((await page.locator('#suggestions li').first().textContent())!, new RegExp(other.rel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));

  // 1. Confirm the suggested image as it is: realized F1 1.
  await page.locator('#suggestions .suggest-btn').first().click();
  await page.waitForFunction((n) => document.querySelectorAll('#label-layer rect.det').length === n, other.items.length, { timeout: 10_000 });
  await page.locator('#label-confirm').click();
  await page.waitForFunction(() => /realized F1 1\.00/.test(document.getElementById('label-msg')!.textContent ?? ''), undefined, { timeout: 10_000 });

  // 2. The latest image: one detection wrong, one missed cavity dragged in.
  await page.locator('#label-start').click();
  await page.waitForFunction((n) => document.querySelectorAll('#label-layer rect.det').length === n, latest.items.length, { timeout: 10_000 });
  await page.waitForFunction(() => { const i = document.getElementById('overlay') as HTMLImageElement; return i.complete && i.naturalWidth > 0; }, undefined, { timeout: 20_000 });
  await page.locator('#label-layer rect.det').first().click();
  t.is(await page.locator('#label-layer rect.det.wrong').count(), 1);
  const spot = emptySpot(latest.items.map((i) => i.box), latest.width, latest.height);
  const r = (await page.locator('#label-layer').boundingBox())!;
  const sx = (v: number) => r.x + (v / latest.width) * r.width;
  const sy = (v: number) => r.y + (v / latest.height) * r.height;
  await page.mouse.move(sx(spot[0]), sy(spot[1]));
  await page.mouse.down();
  await page.mouse.move(sx((spot[0] + spot[2]) / 2), sy((spot[1] + spot[3]) / 2));
  await page.mouse.move(sx(spot[2]), sy(spot[3]));
  await page.mouse.up();
  t.is(await page.locator('#label-layer rect.added').count(), 1);
  t.regex((await page.locator('#label-count').textContent())!, new RegExp(`${latest.items.length - 1} kept · 1 wrong · 1 added`));
  const shot = await page.screenshot({ fullPage: true });
  t.true(shot.length > 20_000, 'screenshot has content');
  const dir = process.env.TEMGUARD_WRITE_SCREENSHOT === '1' ? join(PACKAGE_ROOT, 'docs', 'web') : mkdtempSync(join(tmpdir(), 'tg-shot-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'labels.png'), shot);
  t.log(`screenshot: ${join(dir, 'labels.png')}`);
  await page.locator('#label-save').click();
  await page.waitForFunction(() => /Saved .*realized F1/.test(document.getElementById('label-msg')!.textContent ?? ''), undefined, { timeout: 10_000 });

  // The verdicts: TP = n-1, FP 1, FN 1 on the latest; feedback valid; diamonds in the chart.
  const n = latest.items.length;
  const expectF1 = Math.round(((2 * (n - 1)) / (2 * (n - 1) + 2)) * 1e4) / 1e4;
  await waitFor(() => feedback.length === 2, 5000, 'two feedback messages');
  for (const m of feedback) t.is(schemaErrors('feedback', m), null);
  const fb = feedback[1] as { realized: { f1: number; tp: number }; error: { f1: number } };
  t.is(fb.realized.f1, expectF1);
  t.is(fb.error.f1, Math.round((0.86 - expectF1) * 1e4) / 1e4);
  await page.waitForFunction(() => document.querySelectorAll('#chart polygon.real').length === 2, undefined, { timeout: 10_000 });
  t.false(await page.locator('#suggestions').textContent().then((s) => s!.includes(latest.rel)), 'a labelled image is no longer suggested');

  // Durable: the COCO file beside the journal, read back by a fresh store (a restart).
  const coco = JSON.parse(readFileSync(join(stateDir, LABELS_FILE), 'utf8')) as { images: { sha256: string; id: number }[]; annotations: { image_id: number; source: string }[] };
  const id = coco.images.find((i) => i.sha256 === latest.sha256)!.id;
  t.is(coco.annotations.filter((a) => a.image_id === id).length, n);
  t.is(coco.annotations.filter((a) => a.image_id === id && a.source === 'added').length, 1);
  t.deepEqual(LabelStore.open(stateDir).get(latest.sha256)?.wrong, [0]);

  // Bad labels: a clear refusal, no effect.
  const post = (body: string, type = 'application/json') => page.request.post(new URL('api/labels', web.url).href, { data: body, headers: { 'content-type': type } });
  t.is((await post('{}', 'text/plain')).status(), 415);
  const bad = await post(JSON.stringify({ sha256: latest.sha256, action: 'edit', wrong: [n + 5] }));
  t.is(bad.status(), 400);
  t.regex(((await bad.json()) as { error: string }).error, /does not exist/);
  t.is((await post('not json')).status(), 400);
  t.is(feedback.length, 2);
  t.deepEqual(problems, []);
}
