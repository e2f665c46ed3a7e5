import test from 'ava';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Notifications } from '../../agent/notifications/index.js';
import { webhookChannel } from '../../agent/notifications/webhook.js';
import { alertMsg, capture, emitAlert, errorMsg, events, ManualClock, settled } from './helpers.js';

interface Received { body: Record<string, any>; contentType: string | undefined }

/** A real HTTP receiver on loopback; `answer` picks the status of each request (by its number). */
async function receiver(answer: (n: number) => number = () => 200): Promise<{ server: Server; url: string; got: Received[] }> {
  const got: Received[] = [];
  let n = 0;
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = answer(n++);
      if (status === 200) got.push({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')), contentType: req.headers['content-type'] });
      res.writeHead(status).end(status === 200 ? 'ok' : 'no');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T000/B000/secret-token`, got };
}

const T0 = Date.parse('2026-03-02T10:00:00Z');
const opts = (over: Partial<{ queueMax: number; attempts: number }> = {}) => ({
  on: ['alert', 'error'] as ('alert' | 'error')[],
  gate: { cooldownMs: 0, maxPerHour: 1000, digestMs: 3_600_000, quiet: null },
  delivery: { queueMax: over.queueMax ?? 100, retryInitialMs: 5, retryMaxMs: 40, attempts: over.attempts ?? 10 },
});

/** A receiver plus Notifications with one webhook channel to it, on a manual clock at T0; started. */
async function webhookSetup(t: { teardown(fn: () => void): void }, answer?: (n: number) => number, gate?: ReturnType<typeof opts>['gate']) {
  const r = await receiver(answer);
  t.teardown(() => r.server.close());
  const { log, lines } = capture();
  const ev = events(log);
  const clock = new ManualClock(T0);
  const n = new Notifications({ ...opts(), ...(gate ? { gate } : {}), channels: [webhookChannel({ url: r.url, timeoutMs: 2000 })] }, { events: ev, clock, log });
  n.start();
  return { r, lines, ev, clock, n };
}

test('alert start, end and an error reach a real webhook as JSON with a chat-compatible text field', async (t) => {
  const { r, ev, n } = await webhookSetup(t);
  const done = settled(n.deliveries[0]!, 3);
  const id = randomUUID();
  emitAlert(ev, alertMsg('new', id, T0));
  emitAlert(ev, alertMsg('update', id, T0)); // updates are not in notify.on
  emitAlert(ev, alertMsg('end', id, T0, { ended: new Date(T0).toISOString() }));
  ev.emit('error', { file: null as never, error: null, msg: errorMsg(T0) });
  const outcomes = await done;
  t.deepEqual(outcomes.map((o) => o.outcome), ['sent', 'sent', 'sent']);
  t.is(r.got.length, 3);
  t.is(r.got[0]!.contentType, 'application/json');
  t.regex(r.got[0]!.body.text, /^tem-1: low predicted F1 alert started\n/);
  t.regex(r.got[0]!.body.text, /hint: few confident detections/);
  t.is(r.got[0]!.body.temguard.message.alert_id, id);
  t.regex(r.got[1]!.body.text, /alert ended/);
  t.regex(r.got[2]!.body.text, /error at decode \(corrupt\): x\.png/);
  t.deepEqual(n.status().by_channel.webhook, { sent: 3, failed: 0, dropped: 0, retries: 0, queued: 0, last_error: null });
  n.stop();
});

test('a receiver that answers 503 is retried with backoff until it takes the notice; the URL is never logged', async (t) => {
  const { r, lines, ev, n } = await webhookSetup(t, (i) => (i < 3 ? 503 : 200));
  const done = settled(n.deliveries[0]!, 1);
  emitAlert(ev, alertMsg('new', randomUUID(), T0));
  t.is((await done)[0]!.outcome, 'sent');
  t.is(r.got.length, 1);
  const s = n.status().by_channel.webhook!;
  t.is(s.retries, 3);
  t.is(s.last_error, 'webhook answered HTTP 503');
  const retryLines = lines.filter((l) => l.includes('retrying'));
  t.is(retryLines.length, 3);
  t.true(retryLines.map((l) => JSON.parse(l).retry_ms).every((ms, i, a) => i === 0 || ms >= a[i - 1]), 'backoff does not shrink');
  t.false(lines.some((l) => l.includes('secret-token')), 'the URL carries the token');
  n.stop();
});

test('a receiver that is down does not block: emits return at once, the bounded queue drops the oldest and counts it, and delivery resumes when it is back', async (t) => {
  // Take a free port, close it: connections are refused until the receiver starts there.
  const probe = await receiver();
  const port = (probe.server.address() as AddressInfo).port;
  await new Promise<void>((res) => probe.server.close(() => res()));
  const { log, logged } = capture();
  const ev = events(log);
  const url = `http://127.0.0.1:${port}/hook`;
  const n = new Notifications({ ...opts({ queueMax: 5, attempts: 1000 }), channels: [webhookChannel({ url, timeoutMs: 2000 })] }, { events: ev, clock: new ManualClock(T0), log });
  n.start();
  const d = n.deliveries[0]!;
  const firstRetry = logged(/receiver failed: retrying/);
  const start = process.hrtime.bigint();
  for (let i = 0; i < 20; i++) ev.emit('error', { file: null as never, error: null, msg: errorMsg(T0, `code${i}`) });
  const emitMs = Number(process.hrtime.bigint() - start) / 1e6;
  t.true(emitMs < 50, `20 emits took ${emitMs.toFixed(1)} ms`);
  await firstRetry;
  t.is(d.stats.dropped, 15);
  t.is(d.stats.queued, 5);
  t.regex(d.stats.last_error!, /webhook unreachable: ECONNREFUSED/);
  // The receiver comes up on the same port: the five kept notices arrive, the first one first.
  const got: Record<string, any>[] = [];
  const server = createServer((req, res) => { const c: Buffer[] = []; req.on('data', (x: Buffer) => c.push(x)); req.on('end', () => { got.push(JSON.parse(Buffer.concat(c).toString())); res.end(); }); });
  server.listen(port, '127.0.0.1');
  t.teardown(() => server.close());
  const outcomes = await settled(d, 5);
  t.deepEqual(outcomes.map((o) => o.outcome), ['sent', 'sent', 'sent', 'sent', 'sent']);
  t.deepEqual(got.map((b) => b.temguard.message.code), ['code0', 'code16', 'code17', 'code18', 'code19']);
  t.is(n.status().by_channel.webhook!.dropped, 15);
  n.stop();
});

test('a 4xx answer other than 408/429 is permanent: dropped after one try and counted as failed', async (t) => {
  const { lines, ev, n } = await webhookSetup(t, () => 404);
  const done = settled(n.deliveries[0]!, 1);
  emitAlert(ev, alertMsg('new', randomUUID(), T0));
  t.is((await done)[0]!.outcome, 'failed');
  t.like(n.status().by_channel.webhook, { failed: 1, retries: 0, last_error: 'webhook answered HTTP 404' });
  t.true(lines.some((l) => l.includes('notification not delivered')));
  n.stop();
});

test('held notices leave as one digest when the clock reaches digest_s', async (t) => {
  const { r, ev, clock, n } = await webhookSetup(t, undefined, { cooldownMs: 900_000, maxPerHour: 1000, digestMs: 600_000, quiet: null });
  const done = settled(n.deliveries[0]!, 2);
  for (let i = 0; i < 50; i++) ev.emit('error', { file: null as never, error: null, msg: errorMsg(T0) });
  t.is(n.status().held, 49);
  await clock.advance(600_000);
  await done;
  t.is(r.got.length, 2);
  t.regex(r.got[1]!.body.text, /^temguard digest: 49 notifications held back \(tem-1\)/);
  t.regex(r.got[1]!.body.text, /49× tem-1\/error\/decode\/corrupt/);
  t.is(r.got[1]!.body.temguard.category, 'digest');
  t.is(n.status().held, 0);
  n.stop();
});

test('at stop, notices still queued are sent (within the settle time) before the channel closes', async (t) => {
  const r = await receiver();
  t.teardown(() => r.server.close());
  const { log } = capture();
  const ev = events(log);
  const n = new Notifications({ ...opts(), channels: [webhookChannel({ url: r.url, timeoutMs: 2000 })] }, { events: ev, clock: new ManualClock(T0), log });
  const stop = n.start(5000);
  const id = randomUUID();
  emitAlert(ev, alertMsg('new', id, T0));
  emitAlert(ev, alertMsg('end', id, T0)); // e.g. raised by the drain at SIGTERM
  t.is(n.deliveries[0]!.stats.queued, 2);
  await stop();
  t.deepEqual(r.got.map((g) => g.body.temguard.state), ['new', 'end']);
  emitAlert(ev, alertMsg('new', randomUUID(), T0));
  t.is(n.deliveries[0]!.stats.queued, 0, 'nothing is taken after the stop');
});
