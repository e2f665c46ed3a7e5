/**
 * Local injection (issue 14, item 7) and the live view's smaller faults (item 10): anyone on
 * the machine can publish to the broker, so a "result" over MQTT must never make the server
 * read a file; overlays are drawn only for images this agent analysed, whose real path is
 * inside the watch directory; no message or 404 body carries file bytes; too many streams
 * close the oldest instead of locking browsers out; a fixed broker login clears the error.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { silentLogger } from '../../agent/log.js';
import { decodeFile } from '../../agent/pipeline/decode.js';
import { OwnImages, type OwnResult } from '../../agent/web/own-images.js';
import { MAX_STREAMS, startWebServer } from '../../agent/web/server.js';
import type { Snapshot } from '../../agent/web/state.js';
import { aedes, freePort, waitFor } from '../helpers/broker.js';
import { sampleImages } from '../helpers/images.js';
import { resultMsg, ROOT } from './messages.js';

const SECRET = 'root:x:0:0:root:/root:/bin/bash SECRET-MARKER';
const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function setup() {
  const port = await freePort();
  const broker = await aedes(port);
  const mqttUrl = `mqtt://127.0.0.1:${port}`;
  const watchDir = tmp('tg-inj-watch-');
  const own = new OwnImages({ max: 8, watchDir: () => watchDir });
  const web = await startWebServer({ listen: '127.0.0.1:0', mqttUrl, root: ROOT, own, log: silentLogger });
  const pub = await mqtt.connectAsync(mqttUrl, { reconnectPeriod: 0 });
  const publish = (msg: object) => pub.publishAsync(`${ROOT}/result`, JSON.stringify(msg), { qos: 1 });
  const state = async (): Promise<Snapshot> => (await fetch(new URL('api/state', web.url))).json() as Promise<Snapshot>;
  await waitFor(async () => (await state()).link.connected, 10_000, 'web server subscribed');
  return { web, own, watchDir, publish, state, close: async () => { await pub.endAsync(true); await web.close(); await broker.close(); } };
}

const spec = (path: string, rel: string, sha256: string) => ({ path, rel, sha256, width: 8, height: 8, f1: 0.7, items: [{ box: [0, 0, 4, 4] as [number, number, number, number], score: 0.9 }] });

test('a fake result over MQTT naming a file outside the watch directory is never read (404, no bytes)', async (t) => {
  const s = await setup();
  t.teardown(s.close);
  const outside = join(tmp('tg-inj-out-'), 'shadow.png');
  const [sample] = await sampleImages(1);
  copyFileSync(sample!, outside); // a real image: it would render if the server read it
  const digest = sha(readFileSync(outside));
  await s.publish(resultMsg(spec(outside, 'shadow.png', digest)));
  await waitFor(async () => (await s.state()).history.length === 1, 10_000, 'fake result shown in the chart (it is only data)');
  for (const url of [`overlay/${digest}.png`, 'overlay/latest.png', `overlay/${digest}.jpg`]) {
    const r = await fetch(new URL(url, s.web.url));
    t.is(r.status, 404, url);
    t.regex(r.headers.get('content-type')!, /json/);
  }
});

test('an own image later replaced by a symlink to a file outside the watch directory is refused', async (t) => {
  const s = await setup();
  t.teardown(s.close);
  const [sample] = await sampleImages(1);
  const inside = join(s.watchDir, basename(sample!));
  copyFileSync(sample!, inside);
  const digest = sha(readFileSync(inside));
  const msg = resultMsg(spec(inside, basename(inside), digest));
  s.own.record(msg as unknown as OwnResult);
  t.is((await fetch(new URL(`overlay/${digest}.png`, s.web.url))).status, 200, 'served while it is the analysed file');
  const outside = join(tmp('tg-inj-out-'), 'copy.png');
  copyFileSync(sample!, outside); // same bytes, so only the real-path check can refuse it
  rmSync(inside);
  symlinkSync(outside, inside);
  const r = await fetch(new URL(`overlay/${digest}.jpg`, s.web.url));
  t.is(r.status, 404);
  t.regex(((await r.json()) as { error: string }).error, /outside the watch directory/);
});

test('no file bytes in decode errors or in overlay 404 bodies (a text file named .png)', async (t) => {
  const s = await setup();
  t.teardown(s.close);
  const fake = join(s.watchDir, 'passwd.png');
  writeFileSync(fake, SECRET + '\n'.repeat(40));
  const err = await t.throwsAsync(decodeFile(fake));
  const hex = Buffer.from('root:x:0').toString('hex');
  t.false(err!.message.includes('root:x') || err!.message.includes(hex) || err!.message.includes(hex.slice(0, 8)), err!.message);
  t.regex(err!.message, /unrecognised content/);
  s.own.record(resultMsg(spec(fake, 'passwd.png', sha(readFileSync(fake)))) as unknown as OwnResult);
  const r = await fetch(new URL('overlay/latest.png', s.web.url));
  t.is(r.status, 404);
  const body = await r.text();
  t.false(body.includes('root:x') || body.includes(hex) || body.includes(hex.slice(0, 8)) || body.includes('SECRET'), body);
});

test(`more than ${MAX_STREAMS} live streams: the newest gets in and the oldest is closed with a reason`, async (t) => {
  const s = await setup();
  t.teardown(s.close);
  // Plain sockets (one per stream, as browsers hold them), read until the server ends them.
  const u = new URL('events', s.web.url);
  const streams: { status: number; text: () => string; ended: Promise<void>; destroy: () => void }[] = [];
  t.teardown(() => { for (const st of streams) st.destroy(); });
  const open = () => new Promise<(typeof streams)[number]>((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, agent: false }, (res) => {
      let text = '';
      const ended = new Promise<void>((done) => { res.on('end', done); res.on('close', done); });
      res.on('data', (d: Buffer) => { text += d.toString(); });
      const st = { status: res.statusCode!, text: () => text, ended, destroy: () => req.destroy() };
      streams.push(st);
      resolve(st);
    });
    req.on('error', reject);
    req.end();
  });
  for (let i = 0; i < MAX_STREAMS; i++) t.is((await open()).status, 200);
  const newest = await open();
  t.is(newest.status, 200, 'not locked out');
  await streams[0]!.ended; // the oldest stream ends
  t.regex(streams[0]!.text(), /event: evicted\ndata: .*oldest/);
  t.regex(streams[0]!.text(), /retry: \d{4,}/, 'its browser waits before coming back');
  t.false(/evicted/.test(streams[1]!.text()), 'the others stay open');
});

test('a broker that refused the live view\'s login ("Not authorized") and then accepts it: the error clears', async (t) => {
  let allow = false;
  const broker = await Aedes.createBroker({
    authenticate: (_client, _user, _pass, done) => {
      if (allow) return done(null, true);
      const err = Object.assign(new Error('Not authorized'), { returnCode: 5 }) as Error & { returnCode: number };
      done(err as never, false);
    },
  });
  const server = createServer(broker.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  t.teardown(async () => { await new Promise<void>((r) => broker.close(() => r())); await new Promise<void>((r) => server.close(() => r())); });
  const web = await startWebServer({ listen: '127.0.0.1:0', mqttUrl: `mqtt://127.0.0.1:${port}`, mqttOptions: { username: 'u', password: 'p', reconnectPeriod: 100 }, root: ROOT, authRetryMs: 200, log: silentLogger });
  t.teardown(() => web.close());
  const link = async () => ((await (await fetch(new URL('api/state', web.url))).json()) as Snapshot).link;
  await waitFor(async () => /not authori[sz]ed/i.test((await link()).error ?? ''), 10_000, 'refusal shown');
  allow = true; // the site fixed the account
  await waitFor(async () => (await link()).connected, 10_000, 'the live view logs in again by itself');
  t.is((await link()).error, null);
});
