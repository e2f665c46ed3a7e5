/**
 * The agent end to end, as a user runs it: a real child process, a real broker on loopback
 * (embedded aedes), real image files dropped into a watched directory, real signals.
 */
import test from 'ava';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Aedes } from 'aedes';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { aedes, collector, freePort, waitFor, type Collected } from '../helpers/broker.js';
import { startAgent } from '../helpers/agent.js';
import { schemaErrors } from '../helpers/schemas.js';
import { sampleImages } from '../helpers/images.js';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const portIsFree = (port: number): Promise<boolean> => new Promise((resolve) => {
  const srv = createServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
});
const of = (msgs: Collected[], topic: string) => msgs.filter((m) => m.topic.endsWith(`/${topic}`));

/**
 * A site broker that keeps the agent (client id temguard-...) out until open(): the test's
 * subscriber gets in and subscribes first. A fresh broker keeps no sessions, so an agent that
 * reconnected first would replay its outbox to nobody; a slower reconnect period only made
 * that unlikely (the agent's retry can fall just after the broker starts), not impossible.
 */
async function gatedBroker(port: number): Promise<{ open(): void; close(): Promise<void> }> {
  let open = false;
  const broker = await Aedes.createBroker({
    preConnect: (client, packet, done) => {
      const ok = open || !String(packet.clientId).startsWith('temguard');
      done(null, ok);
      if (!ok) client.conn.destroy(); // at once, like a broker that is not there yet
    },
  });
  const server = createServer((socket) => broker.handle(socket));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return {
    open: () => { open = true; },
    close: async () => {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test.serial('images in, one schema-valid result each; a corrupt file gives an error and the agent goes on; SIGTERM drains and says stopped', async (t) => {
  const [watch, state] = [tmp('tg-w-'), tmp('tg-s-')];
  const images = await sampleImages(3);
  const port = await freePort();
  const agent = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${port}`, '--state', state, '--instrument', 'it-1']);
  let sub: Awaited<ReturnType<typeof collector>> | undefined;
  try {
    await agent.waitLog('temguard running');
    const c = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/it-1/#');
    sub = c;
    copyFileSync(images[0]!, join(watch, basename(images[0]!)));
    writeFileSync(join(watch, 'garbage.png'), Buffer.from('this is not a PNG at all, just text'));
    const png = readFileSync(images[1]!);
    writeFileSync(join(watch, 'truncated.png'), png.subarray(0, Math.floor(png.length / 3)));
    await waitFor(() => of(c.messages, 'error').length >= 2, 60_000, 'two error messages');
    copyFileSync(images[2]!, join(watch, 'after errors ' + basename(images[2]!)));
    await waitFor(() => of(c.messages, 'result').length >= 2, 60_000, 'two results');
    await waitFor(() => of(c.messages, 'status').length >= 1, 5000, 'a status heartbeat');

    for (const m of c.messages) {
      const topic = m.topic.split('/').pop()!;
      t.is(schemaErrors(topic, m.payload), null, `${topic} payload valid: ${JSON.stringify(m.payload).slice(0, 300)}`);
    }
    const results = of(c.messages, 'result').map((m) => m.payload as any);
    t.is(results.length, 2);
    for (const r of results) {
      t.is(r.detector.ep, 'cpu');
      t.is(Object.keys(r.features).length, 18);
      t.true(r.prediction.f1 >= 0 && r.prediction.f1 <= 1);
      t.is(r.detections.count, r.features.counts);
    }
    const errors = of(c.messages, 'error').map((m) => m.payload as any);
    t.deepEqual(errors.map((e) => e.image.rel).sort(), ['garbage.png', 'truncated.png']);
    t.true(errors.every((e) => e.stage === 'decode' && e.message.length > 0));
    t.truthy(c.messages.find((m) => m.topic.endsWith('/availability') && m.payload.state === 'online'));
    t.truthy(of(c.messages, 'info').at(-1)?.payload.detector, 'info names the detector');

    agent.child.kill('SIGTERM');
    const exit = await agent.exited;
    t.is(exit.code, 0);
    await waitFor(() => c.messages.some((m) => m.topic.endsWith('/availability') && m.payload.state === 'stopped'), 5000, 'stopped published');
  } finally {
    agent.child.kill('SIGKILL');
    await sub?.close();
  }
});

test.serial('SIGKILL mid-stream, then restart: every image ends with exactly one result id', async (t) => {
  const [watch, state] = [tmp('tg-w-'), tmp('tg-s-')];
  const images = await sampleImages(6);
  // A site broker that outlives the agent (an embedded one would die with it), and one
  // subscriber connected throughout, as a dashboard would be.
  const port = await freePort();
  const broker = await aedes(port);
  const sub = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/kill-1/result');
  const args = ['--watch', watch, '--mqtt', `mqtt://127.0.0.1:${port}`, '--state', state, '--instrument', 'kill-1'];
  const env = { TEMGUARD_MQTT_PROTOCOL_VERSION: '4' };
  let agent = startAgent(args, env);
  try {
    await agent.waitLog('temguard running');
    images.forEach((p, i) => copyFileSync(p, join(watch, `img-${i} ${basename(p)}`)));
    await waitFor(() => sub.messages.length >= 2, 120_000, 'first results');
    agent.child.kill('SIGKILL');
    await agent.exited;

    agent = startAgent(args, env); // same state dir: journal + outbox survive
    await agent.waitLog('temguard running');
    const rels = () => new Set(sub.messages.map((m) => (m.payload as any).image.rel));
    await waitFor(() => rels().size === images.length, 180_000, 'a result for every image');
    await new Promise((r) => setTimeout(r, 1000));
    const idsPerImage = new Map<string, Set<string>>();
    for (const m of sub.messages) {
      const p = m.payload as any;
      if (!idsPerImage.has(p.image.rel)) idsPerImage.set(p.image.rel, new Set());
      idsPerImage.get(p.image.rel)!.add(p.msg_id);
    }
    t.is(idsPerImage.size, images.length);
    for (const [rel, ids] of idsPerImage) t.is(ids.size, 1, `${rel} has one result id`);
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
  } finally {
    agent.child.kill('SIGKILL');
    await sub.close();
    await broker.close();
  }
});

test.serial('site broker down at start and during the run: the agent keeps working and every result arrives once it is back, one msg_id each', async (t) => {
  const [watch, state] = [tmp('tg-w-'), tmp('tg-s-')];
  const images = await sampleImages(4);
  const port = await freePort();
  // The broker lets the agent in only once the test's subscriber is subscribed (gatedBroker).
  const agent = startAgent(['--watch', watch, '--mqtt', `mqtt://127.0.0.1:${port}`, '--state', state, '--instrument', 'down-1'],
    { TEMGUARD_MQTT_PROTOCOL_VERSION: '4', TEMGUARD_MQTT_RECONNECT_MS: '2500' });
  let broker: Awaited<ReturnType<typeof gatedBroker>> | undefined;
  let subRef: Awaited<ReturnType<typeof collector>> | undefined;
  try {
    await agent.waitLog('temguard running'); // no broker at all: not fatal
    copyFileSync(images[0]!, join(watch, 'd0.png'));
    copyFileSync(images[1]!, join(watch, 'd1.png'));
    const results = () => agent.logs.filter((l) => l.msg === 'result').length;
    await waitFor(() => results() === 2, 120_000, 'processed while the broker is down');
    broker = await gatedBroker(port);
    const sub = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/down-1/result');
    subRef = sub;
    await waitFor(() => sub.subscribed, 10_000, 'subscribed');
    broker.open();
    await waitFor(() => sub.messages.length >= 2, 30_000, 'results made offline delivered');
    await broker.close(); // outage during the run
    copyFileSync(images[2]!, join(watch, 'd2.png'));
    copyFileSync(images[3]!, join(watch, 'd3.png'));
    await waitFor(() => results() === 4, 120_000, 'processed during the outage');
    broker = await gatedBroker(port);
    await waitFor(() => sub.subscribed, 10_000, 'subscriber back and subscribed');
    broker.open();
    await waitFor(() => sub.messages.length >= 4, 30_000, 'results made during the outage delivered');
    await new Promise((r) => setTimeout(r, 1000));
    const ids = sub.messages.map((m) => (m.payload as any).msg_id);
    t.is(new Set(ids).size, 4);
    t.is(ids.length, 4, 'none twice');
    t.deepEqual(sub.messages.map((m) => (m.payload as any).image.rel).sort(), ['d0.png', 'd1.png', 'd2.png', 'd3.png']);
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
  } finally {
    agent.child.kill('SIGKILL');
    await subRef?.close();
    await broker?.close();
  }
});

test.serial('a wrong model does not kill the agent: it reports the error, stays up degraded, and stops cleanly', async (t) => {
  const [watch, state] = [tmp('tg-w-'), tmp('tg-s-')];
  const bad = join(tmp('tg-m-'), 'not-a-model.onnx');
  writeFileSync(bad, 'definitely not an ONNX protobuf');
  const port = await freePort();
  const agent = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${port}`, '--state', state, '--instrument', 'bad-1', '--model', bad]);
  let sub: Awaited<ReturnType<typeof collector>> | undefined;
  try {
    const logged = await agent.waitLog('cannot load models; agent stays up, degraded, and retries every 30 s');
    t.regex(String(logged.error), /not-a-model\.onnx/);
    await agent.waitLog('temguard running');
    sub = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/bad-1/#');
    await waitFor(() => of(sub!.messages, 'status').some((m) => m.payload.state === 'degraded'), 10_000, 'degraded status');
    const status = of(sub.messages, 'status').find((m) => m.payload.state === 'degraded')!;
    t.regex(String(status.payload.reason), /not-a-model\.onnx/, 'the retained status says why');
    copyFileSync((await sampleImages(1))[0]!, join(watch, 'waits.png'));
    await new Promise((r) => setTimeout(r, 1500));
    t.is(of(sub.messages, 'result').length, 0, 'no result without a model; the image waits on disk');
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
  } finally {
    agent.child.kill('SIGKILL');
    await sub?.close();
  }
});

test.serial('npm start passes SIGTERM on to the agent: it stops cleanly, and no agent is left running', async (t) => {
  // npm signals the script's shell; without `exec` in the start script the shell died and
  // the agent went on running, orphaned, holding the broker port and the state directory.
  const [watch, state] = [tmp('tg-w-'), tmp('tg-s-')];
  const port = await freePort();
  const agent = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${port}`, '--state', state, '--instrument', 'npm-1'], {}, 'npm-start');
  try {
    await agent.waitLog('temguard running');
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
    t.truthy(agent.logs.find((l) => l.msg === 'stopped'), 'the agent itself logged its clean stop');
    t.true(await portIsFree(port), 'the embedded broker went with the agent');
  } finally {
    agent.child.kill('SIGKILL');
  }
});

test.serial('one stop request delivered twice at once (Ctrl-C under npm start) still stops cleanly', async (t) => {
  // Ctrl-C signals the terminal's process group: the agent gets SIGINT from the terminal and
  // again from npm, which forwards it. Counted as "a second signal" that skipped the clean stop.
  const port = await freePort();
  const agent = startAgent(['--watch', tmp('tg-w-'), '--mqtt', `embedded://127.0.0.1:${port}`, '--state', tmp('tg-s-'), '--instrument', 'twice-1']);
  try {
    await agent.waitLog('temguard running');
    // The second copy lands once the first is being handled, as npm's forwarded one does.
    agent.child.stdout!.on('data', (d: Buffer) => { if (d.toString().includes('"msg":"stopping"')) agent.child.kill('SIGINT'); });
    agent.child.kill('SIGINT');
    t.is((await agent.exited).code, 0);
    t.truthy(agent.logs.find((l) => l.msg === 'stopped'), 'the clean stop ran to its end');
    t.falsy(agent.logs.find((l) => l.msg === 'second signal: exiting now'));
  } finally {
    agent.child.kill('SIGKILL');
  }
});

test.serial('bad command lines fail fast with one clear line: missing watch dir, broken config', async (t) => {
  const missing = startAgent(['--watch', '/nonexistent/acquisition', '--mqtt', `embedded://127.0.0.1:${await freePort()}`, '--state', tmp('tg-s-')]);
  t.is((await missing.exited).code, 1);
  t.regex(missing.stderr.join(''), /\/nonexistent\/acquisition is not a directory/);
  const cfgFile = join(tmp('tg-c-'), 'bad.yaml');
  writeFileSync(cfgFile, 'queue:\n  capacity: lots\n');
  const broken = startAgent(['--config', cfgFile]);
  t.is((await broken.exited).code, 1);
  t.regex(broken.stderr.join(''), /line 2: queue\.capacity: expected a number/);
  t.false(broken.stderr.join('').includes('    at '), 'no stack trace');
});
