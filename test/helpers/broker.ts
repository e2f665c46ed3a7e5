/** Real brokers on loopback for tests: in-process aedes, or Debian's mosquitto when installed. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../agent/pipeline/broker.js';
import { silentLogger } from '../../agent/log.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

export function aedes(port: number): Promise<EmbeddedBroker> {
  return startEmbeddedBroker('127.0.0.1', port, silentLogger);
}

export function mosquittoPath(): string | null {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto']) if (spawnSync(p, ['-h']).error === undefined) return p;
  return null;
}

export interface Mosquitto { port: number; stop(): Promise<void>; }

export async function startMosquitto(port: number): Promise<Mosquitto> {
  const bin = mosquittoPath();
  if (!bin) throw new Error('mosquitto is not installed (apt-get install -y mosquitto)');
  const dir = mkdtempSync(join(tmpdir(), 'tg-mosq-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const child: ChildProcess = spawn(bin, ['-c', conf], { stdio: 'ignore' });
  await waitFor(async () => {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 500 }).catch(() => null);
    if (c) await c.endAsync();
    return c !== null;
  }, 10_000, 'mosquitto did not start');
  return { port, stop: () => new Promise((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); }) };
}

export interface Collected { topic: string; payload: Record<string, unknown>; retain: boolean; }

/** A subscriber that keeps every message under `filter`; reconnects by itself when the broker restarts. */
export async function collector(url: string, filter: string, protocolVersion: 4 | 5 = 4): Promise<{ messages: Collected[]; client: MqttClient; readonly subscribed: boolean; close(): Promise<void> }> {
  const messages: Collected[] = [];
  const client = mqtt.connect(url, { protocolVersion, reconnectPeriod: 200, clean: true });
  let subscribed = false; // acknowledged by the broker, on this connection
  client.on('close', () => { subscribed = false; });
  client.on('message', (topic, buf, packet) => {
    let payload: Record<string, unknown>;
    try { payload = JSON.parse(buf.toString()); } catch { payload = { unparseable: buf.toString() }; }
    messages.push({ topic, payload, retain: packet.retain });
  });
  client.on('connect', () => { client.subscribe(filter, { qos: 1 }, (err) => { if (!err) subscribed = true; }); });
  client.on('error', () => {});
  await waitFor(async () => subscribed, 10_000, `cannot subscribe at ${url}`);
  return { messages, client, get subscribed() { return subscribed; }, close: () => client.endAsync(true) };
}

export async function waitFor(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
}
