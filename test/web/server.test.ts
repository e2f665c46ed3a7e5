import test from 'ava';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import mqtt from 'mqtt';
import sharp from 'sharp';
import { silentLogger } from '../../agent/log.js';
import { parseListen, startWebServer, ListenError, type WebServer } from '../../agent/web/server.js';
import { OwnImages, type OwnResult } from '../../agent/web/own-images.js';
import type { Snapshot } from '../../agent/web/state.js';
import { aedes, freePort, waitFor } from '../helpers/broker.js';
import { sampleImages } from '../helpers/images.js';
import { alertMsg, availabilityMsg, errorMsg, infoMsg, resultMsg, ROOT, statusMsg, type ResultSpec } from './messages.js';

async function setup(history?: number) {
  const port = await freePort();
  const broker = await aedes(port);
  const mqttUrl = `mqtt://127.0.0.1:${port}`;
  const watchDir = mkdtempSync(join(tmpdir(), 'tg-web-watch-'));
  const own = new OwnImages({ max: 8, watchDir: () => watchDir });
  const web = await startWebServer({ listen: '127.0.0.1:0', mqttUrl, root: ROOT, history, own, log: silentLogger });
  const pub = await mqtt.connectAsync(mqttUrl, { reconnectPeriod: 0 });
  const publish = (name: string, msg: object, retain = false) => pub.publishAsync(`${ROOT}/${name}`, JSON.stringify(msg), { qos: 1, retain });
  /** What the daemon does with a result of its own: remember the image, then publish. */
  const analysed = (msg: Record<string, unknown>) => { own.record(msg as unknown as OwnResult); return publish('result', msg); };
  const state = async (): Promise<Snapshot> => (await fetch(new URL('api/state', web.url))).json() as Promise<Snapshot>;
  await waitFor(async () => (await state()).link.connected, 10_000, 'web server subscribed');
  return { web, pub, publish, analysed, own, watchDir, state, close: async () => { await pub.endAsync(true); await web.close(); await broker.close(); } };
}

/** A real image copied into dir (the watch directory: overlays are drawn only from there). */
async function realImage(dir = mkdtempSync(join(tmpdir(), 'tg-web-img-'))): Promise<Omit<ResultSpec, 'f1' | 'items'>> {
  const [sample] = await sampleImages(1);
  const path = join(dir, basename(sample!));
  copyFileSync(sample!, path);
  const meta = await sharp(path!).metadata();
  return { path: path!, rel: `session 1/${basename(path!)}`, sha256: createHash('sha256').update(readFileSync(path!)).digest('hex'), width: meta.width!, height: meta.height! };
}

test('serves the page and its assets with a strict CSP, and nothing else from disk', async (t) => {
  const s = await setup();
  t.teardown(s.close);
  const page = await fetch(s.web.url);
  t.is(page.status, 200);
  t.regex(page.headers.get('content-type')!, /text\/html/);
  t.regex(page.headers.get('content-security-policy')!, /default-src 'none'; script-src 'self'/);
  const html = await page.text();
  t.regex(html, /<script src="\/app.js"/);
  t.notRegex(html, /https?:\/\//, 'no external resource');
  for (const asset of ['app.js', 'style.css', 'favicon.svg']) t.is((await fetch(new URL(asset, s.web.url))).status, 200, asset);
  for (const probe of ['/package.json', '/../package.json', '/%2e%2e/package.json', '/agent/web/server.ts', '/overlay/../../etc/passwd.png', '/overlay/abc.png']) {
    const r = await fetch(s.web.url.replace(/\/$/, '') + probe);
    t.is(r.status, 404, probe);
    t.truthy(((await r.json()) as { error?: string }).error, `${probe} answers with a JSON reason`);
  }
  const post = await fetch(s.web.url, { method: 'POST', body: 'x' });
  t.is(post.status, 405);
});

test('bound to loopback, it refuses requests addressed to another host name (DNS rebinding)', async (t) => {
  const s = await setup();
  t.teardown(s.close);
  const { request } = await import('node:http');
  const get = (host: string) => new Promise<number>((resolve, reject) => {
    const u = new URL('api/state', s.web.url);
    request({ host: u.hostname, port: u.port, path: u.pathname, headers: { host } }, (res) => { res.resume(); resolve(res.statusCode!); }).on('error', reject).end();
  });
  const port = new URL(s.web.url).port;
  t.is(await get(`evil.example:${port}`), 403);
  t.is(await get(`127.0.0.1.evil.example:${port}`), 403);
  t.is(await get(`localhost:${port}`), 200);
  t.is(await get(`127.0.0.1:${port}`), 200);
  t.is(await get(`[::1]:${port}`), 200);
});

test('/api/state reflects results, status, info, availability, alerts and errors from the broker', async (t) => {
  const s = await setup();
  t.teardown(s.close);
  const img = await realImage();
  await s.publish('availability', availabilityMsg('online'), true);
  await s.publish('info', infoMsg(), true);
  await s.publish('status', statusMsg({ depth: 3 }), true);
  const f1s = [0.82, 0.44, 0.31];
  for (const f1 of f1s) await s.publish('result', resultMsg({ ...img, f1, interval: [f1 - 0.1, f1 + 0.08], items: [{ box: [10, 10, 60, 60], score: 0.9 }] }));
  await s.publish('alert', alertMsg('new'));
  await s.publish('error', errorMsg('broken <b>.tif', 'file is truncated'));
  await waitFor(async () => { const st = await s.state(); return st.history.length === 3 && st.alert !== null && st.errors.length === 1; }, 10_000, 'state caught up');
  const st = await s.state();
  t.deepEqual(st.history.map((p) => p.f1), f1s);
  t.deepEqual(st.history.map((p) => p.low), [false, true, true]);
  t.is(st.history[1]!.lo, 0.44 - 0.1);
  t.is(st.latest!.sha256, img.sha256);
  t.is(st.latest!.rel, img.rel);
  t.is(st.latest!.ep, 'cpu');
  t.is(st.availability!.state, 'online');
  t.is((st.status!.queue as { depth: number }).depth, 3);
  t.is(st.alert!.state, 'new');
  t.regex(st.alert!.hint!, /check focus/);
  t.is(st.errors[0]!.image, 'broken <b>.tif');
  t.is((st.info!.detector as { name: string }).name, 'cavity-unet-all');
  t.false(JSON.stringify(st).includes('must not reach the page'), 'the config in info is not relayed');

  await s.publish('alert', alertMsg('end'));
  await waitFor(async () => (await s.state()).alert === null, 10_000, 'alert ended');
  t.is((await s.state()).lastEnded!.state, 'end');
});

test('/events relays new messages as server-sent events', async (t) => {
  const s = await setup();
  t.teardown(s.close);
  const img = await realImage();
  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const res = await fetch(new URL('events', s.web.url), { signal: abort.signal });
  t.regex(res.headers.get('content-type')!, /text\/event-stream/);
  const reader = res.body!.getReader();
  let text = '';
  const readUntil = async (re: RegExp) => {
    const end = Date.now() + 10_000;
    while (!re.test(text) && Date.now() < end) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    return re.test(text);
  };
  t.true(await readUntil(/event: hello/), 'stream opens with hello');
  await s.publish('result', resultMsg({ ...img, f1: 0.77, items: [] }));
  t.true(await readUntil(/event: result\ndata: .*\n\n/), 'result event arrives');
  const data = JSON.parse(/event: result\ndata: (.*)\n/.exec(text)![1]!);
  t.is(data.sha256, img.sha256);
  t.is(data.f1, 0.77);
  await s.publish('alert', alertMsg('new', { hint: 'no detections: check the beam' }));
  t.true(await readUntil(/event: alert\ndata: .*check the beam/), 'alert event arrives with its hint');
  await s.publish('status', statusMsg());
  t.true(await readUntil(/event: status\n/), 'status event arrives');
  await s.pub.publishAsync(`${ROOT}/result`, 'not json', { qos: 1 });
  await s.publish('status', statusMsg({ depth: 9 }));
  t.true(await readUntil(/"depth":9/), 'a non-JSON message is skipped and the stream goes on');
});

test('overlays: latest and by hash, PNG and JPEG, bounded; unreadable images give a 404 with a reason', async (t) => {
  const s = await setup();
  t.teardown(s.close);
  const none = await fetch(new URL('overlay/latest.png', s.web.url));
  t.is(none.status, 404);
  t.regex(((await none.json()) as { error: string }).error, /no image analysed by this agent yet/);
  const img = await realImage(s.watchDir);
  const items: ResultSpec['items'] = [{ box: [20, 20, 200, 180], score: 0.95 }, { box: [300, 300, 420, 400], score: 0.3 }];
  await s.analysed(resultMsg({ ...img, f1: 0.8, items }));
  await waitFor(async () => (await s.state()).history.length === 1, 10_000, 'result in');
  const png = await fetch(new URL('overlay/latest.png', s.web.url));
  t.is(png.status, 200);
  t.is(png.headers.get('content-type'), 'image/png');
  const body = Buffer.from(await png.arrayBuffer());
  const meta = await sharp(body).metadata();
  t.true(Math.max(meta.width!, meta.height!) <= 1024);
  t.true(body.length < 1.5e6, `${body.length} bytes`);
  const jpg = await fetch(new URL(`overlay/${img.sha256}.jpg`, s.web.url));
  t.is(jpg.status, 200);
  t.is(jpg.headers.get('content-type'), 'image/jpeg');
  t.regex(jpg.headers.get('cache-control')!, /immutable/);
  const unknown = await fetch(new URL(`overlay/${'0'.repeat(64)}.png`, s.web.url));
  t.is(unknown.status, 404);
  t.regex(((await unknown.json()) as { error: string }).error, /not among the last 8 images this agent analysed/);

  await s.analysed(resultMsg({ ...img, path: join(s.watchDir, 'gone.png'), rel: 'gone.png', sha256: 'a'.repeat(64), f1: 0.5, items }));
  await waitFor(async () => (await s.state()).history.length === 2, 10_000, 'second result in');
  const gone = await fetch(new URL('overlay/latest.png', s.web.url));
  t.is(gone.status, 404);
  const reason = ((await gone.json()) as { error: string }).error;
  t.regex(reason, /cannot read image gone\.png/);
  t.is((await fetch(new URL(`overlay/${img.sha256}.png`, s.web.url))).status, 200, 'the earlier overlay is still served, the server is fine');

  // The acquisition software rewrote the file after analysis: the old boxes must not be drawn on it.
  const current = join(s.watchDir, 'current.png');
  copyFileSync(img.path, current);
  await s.analysed(resultMsg({ ...img, path: current, rel: 'current.png', sha256: 'b'.repeat(64), f1: 0.5, items }));
  await waitFor(async () => (await s.state()).history.length === 3, 10_000, 'third result in');
  const changed = await fetch(new URL(`overlay/${'b'.repeat(64)}.jpg`, s.web.url));
  t.is(changed.status, 404);
  t.regex(((await changed.json()) as { error: string }).error, /current\.png has changed since it was analysed/);
});

test('history is bounded and results without a valid hash are ignored', async (t) => {
  const s = await setup(5);
  t.teardown(s.close);
  const img = await realImage();
  for (let i = 0; i < 8; i++) await s.publish('result', resultMsg({ ...img, f1: i / 10, items: [] }));
  await s.publish('result', resultMsg({ ...img, sha256: '../../etc/passwd', f1: 0.99, items: [] }));
  await s.publish('status', statusMsg({ depth: 1 }));
  await waitFor(async () => (await s.state()).status !== null, 10_000, 'status in');
  await waitFor(async () => (await s.state()).history.at(-1)?.f1 === 0.7, 10_000, 'results in');
  const st = await s.state();
  t.deepEqual(st.history.map((p) => p.f1), [0.3, 0.4, 0.5, 0.6, 0.7]);
  t.is(st.historyMax, 5);
});

test('listen addresses: parsed, validated, and a busy port is a clear error', async (t) => {
  t.deepEqual(parseListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
  t.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  t.deepEqual(parseListen('localhost:9'), { host: 'localhost', port: 9 });
  for (const bad of ['8080', '127.0.0.1', '127.0.0.1:99999', 'a b:1', '::1:80']) t.throws(() => parseListen(bad), { instanceOf: ListenError, message: /http\.listen \(--http\): expected HOST:PORT/ }, bad);
  const port = await freePort();
  const first: WebServer = await startWebServer({ listen: `127.0.0.1:${port}`, mqttUrl: 'mqtt://127.0.0.1:1', root: ROOT, log: silentLogger });
  t.teardown(() => first.close());
  t.is(first.url, `http://127.0.0.1:${port}/`);
  await t.throwsAsync(startWebServer({ listen: `127.0.0.1:${port}`, mqttUrl: 'mqtt://127.0.0.1:1', root: ROOT, log: silentLogger }), { instanceOf: ListenError, message: /EADDRINUSE/ });
  const st = (await (await fetch(new URL('api/state', first.url))).json()) as Snapshot;
  t.false(st.link.connected, 'serves even while the broker is unreachable');
});
