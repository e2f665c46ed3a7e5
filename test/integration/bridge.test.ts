/**
 * Scale-out on loopback: three real agents, each on its own leaf mosquitto, bridged (QoS 1,
 * cleansession false, persistence) to a central mosquitto, where a facility consumer with a
 * persistent session receives every result exactly once by msg_id, across
 *   1. an outage of one leaf-to-central link (a TCP relay in between is cut, then restored),
 *   2. the consumer being away while results arrive, then a restart of the central broker,
 *      with more results produced while it is down.
 * The brokers run the shipped files in config/examples/mosquitto-bridge/ with only ports,
 * paths, the bridge password, the reconnect backoff and `user` changed. Skipped without
 * mosquitto, except in CI (TEMGUARD_REQUIRE_MOSQUITTO=1).
 */
import test from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { simulate } from '../../agent/commands/simulate.js';
import { PACKAGE_ROOT } from '../../agent/paths.js';
import { startAgent, type AgentProcess } from '../helpers/agent.js';
import { freePort, mosquittoPath, waitFor } from '../helpers/broker.js';

const available = mosquittoPath() !== null && spawnSync('mosquitto_passwd', ['-h']).error === undefined;
const required = process.env.TEMGUARD_REQUIRE_MOSQUITTO === '1';
const maybe = available || required ? test.serial : test.skip;

const EXAMPLES = join(PACKAGE_ROOT, 'config', 'examples', 'mosquitto-bridge');
const PASSWORD = 'bridge-test-password';
const INSTRUMENTS = ['tem-1', 'tem-2', 'tem-3'];

/** Replaces `directive ...` lines of a mosquitto config (each must be there: the test runs the shipped file). */
function rewrite(conf: string, set: Record<string, string>): string {
  for (const [k, v] of Object.entries(set)) {
    const re = new RegExp(`^${k}( .*)?$`, 'm');
    if (!re.test(conf)) throw new Error(`the example has no "${k}" line`);
    conf = conf.replace(re, `${k} ${v}`);
  }
  // As root mosquitto drops to user "mosquitto", which cannot write the temp persistence dir.
  return `${conf}\nuser root\n`;
}

interface Broker { port: number; stop(): Promise<void>; start(): Promise<void> }

function mosquitto(conf: string, port: number, login?: { username: string; password: string }): Broker {
  let child: ChildProcess | null = null;
  const b: Broker = {
    port,
    start: async () => {
      child = spawn(mosquittoPath()!, ['-c', conf], { stdio: 'ignore' });
      await waitFor(async () => {
        const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 500, ...login }).catch(() => null);
        if (c) await c.endAsync();
        return c !== null;
      }, 10_000, `mosquitto ${conf} did not start`);
    },
    stop: async () => {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      const exit = once(c, 'exit');
      c.kill('SIGTERM'); // a clean stop writes the persistence file
      await exit;
    },
  };
  return b;
}

/** A TCP relay between a leaf's bridge and the central broker: cut() is a real link outage. */
async function relay(target: number): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  const listen = async () => {
    server = createServer((a) => {
      const b = createConnection(target, '127.0.0.1');
      for (const s of [a, b]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => { a.destroy(); b.destroy(); }); }
      a.pipe(b); b.pipe(a);
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
  };
  const cut = async () => {
    const s = server;
    server = null;
    for (const x of sockets) x.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  };
  await listen();
  return { port, cut, restore: listen, close: cut };
}

interface Seen { msgId: string; instrument: string; image: string }

/**
 * Collects `result` messages into sink; with a clientId and clean false it is a persistent
 * session. The handler is on before the connection, so what a resumed session delivers right
 * after CONNACK is kept too.
 */
async function subscriber(port: number, opts: { clientId?: string; clean?: boolean; username?: string; password?: string } = {}, sink: Seen[] = []): Promise<{ seen: Seen[]; client: MqttClient }> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, reconnectPeriod: 200, clean: opts.clean ?? true, ...opts });
  client.on('error', () => {});
  client.on('message', (_topic, buf) => {
    const p = JSON.parse(buf.toString()) as { msg_id: string; instrument: string; image: { rel: string } };
    sink.push({ msgId: p.msg_id, instrument: p.instrument, image: p.image.rel });
  });
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  await client.subscribeAsync('temguard/+/result', { qos: 1 });
  return { seen: sink, client };
}

const unique = (s: Seen[], instrument?: string) => new Set(s.filter((x) => !instrument || x.instrument === instrument).map((x) => x.msgId));

maybe('three agents on three bridged leaf brokers: a central consumer gets every result exactly once by msg_id across a link outage and a central restart', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'tg-bridge-'));
  const cleanup: (() => Promise<void> | void)[] = [];
  t.teardown(async () => { for (const f of cleanup.reverse()) await f(); });

  // Central broker: the shipped config and ACL, a password file with the three bridges and the consumer.
  const passwd = join(root, 'facility.passwd');
  for (const [i, user] of [...INSTRUMENTS, 'facility'].entries()) spawnSync('mosquitto_passwd', [...(i === 0 ? ['-c'] : []), '-b', passwd, user, PASSWORD]);
  const centralPort = await freePort();
  mkdirSync(join(root, 'central'));
  const centralConf = join(root, 'central.conf');
  writeFileSync(centralConf, rewrite(readFileSync(join(EXAMPLES, 'central.conf'), 'utf8'), {
    listener: `${centralPort} 127.0.0.1`, password_file: passwd, acl_file: join(EXAMPLES, 'facility.acl'), persistence_location: join(root, 'central') + '/',
  }));
  const facility = { username: 'facility', password: PASSWORD };
  const central = mosquitto(centralConf, centralPort, facility);
  await central.start();
  cleanup.push(() => central.stop());

  // The consumer: a persistent session (fixed client id, clean false) at QoS 1.
  const consumerOpts = { clientId: 'facility-results', clean: false, ...facility };
  let consumer = await subscriber(centralPort, consumerOpts);
  const consumed: Seen[] = consumer.seen;
  cleanup.push(() => consumer.client.endAsync(true));

  // Leaves, one per instrument; tem-1's bridge goes through a relay we can cut.
  const link = await relay(centralPort);
  cleanup.push(() => link.close());
  const leaves: { instrument: string; broker: Broker; observed: Seen[]; agent: AgentProcess; watch: string }[] = [];
  for (const instrument of INSTRUMENTS) {
    const port = await freePort();
    const dir = join(root, instrument);
    mkdirSync(join(dir, 'persist'), { recursive: true });
    const conf = join(dir, 'leaf.conf');
    const example = readFileSync(join(EXAMPLES, 'leaf-tem-1.conf'), 'utf8').replaceAll('tem-1', instrument);
    writeFileSync(conf, rewrite(example, {
      listener: `${port} 127.0.0.1`, persistence_location: join(dir, 'persist') + '/',
      address: `127.0.0.1:${instrument === 'tem-1' ? link.port : centralPort}`, remote_password: PASSWORD, restart_timeout: '1 2',
    }));
    const broker = mosquitto(conf, port);
    await broker.start();
    cleanup.push(() => broker.stop());
    const observer = await subscriber(port); // what the agent published, on its own leaf: the ground truth
    cleanup.push(() => observer.client.endAsync(true));
    const watch = join(dir, 'watch');
    mkdirSync(watch);
    const agent = startAgent(['--watch', watch, '--mqtt', `mqtt://127.0.0.1:${port}`, '--state', join(dir, 'state'), '--instrument', instrument]);
    cleanup.push(() => { agent.child.kill('SIGKILL'); });
    leaves.push({ instrument, broker, observed: observer.seen, agent, watch });
  }
  await Promise.all(leaves.map((l) => l.agent.waitLog('broker connected', 120_000)));

  const images = mkdtempSync(join(tmpdir(), 'tg-bridge-img-'));
  t.is(await simulate(['--out', images, '--count', '2', '--seed', '11', '--size', '256'], { stdout: () => {}, stderr: () => {} }), 0);
  const pngs = readdirSync(images).filter((f) => f.endsWith('.png')).map((f) => join(images, f));
  let produced = 0;
  /** Two new images per agent; resolves once every agent has published their results on its leaf. */
  const round = async (name: string) => {
    for (const l of leaves) pngs.forEach((p, i) => copyFileSync(p, join(l.watch, `${name}-${i}.png`)));
    produced += pngs.length;
    await waitFor(() => leaves.every((l) => unique(l.observed).size === produced), 120_000, `round ${name} published on the leaves`);
  };
  const allArrived = (what: string) => waitFor(() => INSTRUMENTS.every((i) => unique(consumed, i).size === produced), 60_000, what)
    .catch((err: Error) => { throw new Error(`${err.message}; consumer has ${INSTRUMENTS.map((i) => `${i} ${unique(consumed, i).size}`).join(', ')} of ${produced}`); });

  await round('a');
  await allArrived('round a at the central consumer');

  // 1. tem-1's link is down: tem-2 and tem-3 keep arriving, tem-1's wait on its leaf, then follow.
  await link.cut();
  await round('b');
  await waitFor(() => ['tem-2', 'tem-3'].every((i) => unique(consumed, i).size === produced), 60_000, 'round b of tem-2 and tem-3');
  t.is(unique(consumed, 'tem-1').size, produced - pngs.length, 'tem-1 round b held back while its link is down');
  await link.restore();
  await allArrived('tem-1 round b after the link is back');

  // 2. The consumer goes away (its session stays), results arrive at central; central restarts;
  //    more results are produced while it is down; then the consumer comes back.
  await consumer.client.endAsync();
  const watcher = await subscriber(centralPort, facility); // sees what reached central meanwhile
  await round('c');
  await waitFor(() => INSTRUMENTS.every((i) => unique(watcher.seen, i).size === pngs.length), 60_000, 'round c at central');
  await watcher.client.endAsync(true);
  await central.stop();
  await round('d');
  await central.start();
  consumer = await subscriber(centralPort, consumerOpts, consumed);
  await allArrived('rounds c (queued at central across its restart) and d (queued on the leaves)');

  // Exactly once by msg_id: the same ids as on the leaves, one per image, nothing extra.
  for (const l of leaves) {
    const got = consumed.filter((x) => x.instrument === l.instrument);
    t.deepEqual([...unique(got)].sort(), [...unique(l.observed)].sort(), `${l.instrument}: the leaf's msg_ids`);
    const perImage = new Map<string, Set<string>>();
    for (const x of got) perImage.set(x.image, (perImage.get(x.image) ?? new Set()).add(x.msgId));
    t.is(perImage.size, produced, `${l.instrument}: every image`);
    t.true([...perImage.values()].every((ids) => ids.size === 1), `${l.instrument}: one msg_id per image`);
  }
  t.log(`${INSTRUMENTS.length} × ${produced} results; ${consumed.length} deliveries to the consumer, ${consumed.length - unique(consumed).size} duplicates (dropped by msg_id)`);
  for (const l of leaves) { l.agent.child.kill('SIGTERM'); t.is((await l.agent.exited).code, 0); }
});
