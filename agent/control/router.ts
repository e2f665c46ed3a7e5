/**
 * Requests and responses over MQTT, zigbee2mqtt style: a request published on
 * <prefix>/<id>/request/<name> (JSON object, optional `transaction`) is answered on
 * <prefix>/<id>/response/<name> with {status: "ok"|"error", data, error?, transaction?}.
 * Requests are handled one at a time, in arrival order. Anything wrong (unknown command, not
 * JSON, fails its schema, retained) is answered with an error and has no effect; a handler
 * that crashes is logged and answered "internal error", and the agent goes on.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../log.js';
import type { PublisherOptions } from '../pipeline/publish.js';
import type { Clock } from '../daemon/clock.js';
import { CommandError, type CommandRegistry } from './registry.js';

export interface RouterOptions {
  url: string;
  mqtt: IClientOptions;
  /** <prefix>/<instrument> */
  root: string;
  instrument: string;
  registry: CommandRegistry;
  clock: Clock;
  log: Logger;
}

export interface Response {
  schema: { name: 'temguard/response'; version: 1 };
  ts: string;
  instrument: string;
  command: string;
  status: 'ok' | 'error';
  data: unknown;
  error?: string;
  transaction?: string | number;
}

export interface Router { stop(): Promise<void> }

export async function startCommandRouter(o: RouterOptions): Promise<Router> {
  const prefix = `${o.root}/request/`;
  const client: MqttClient = mqtt.connect(o.url, { ...o.mqtt, clean: true });
  client.on('error', (err) => o.log.debug('command client error', { error: err.message }));
  client.on('connect', () => client.subscribe(`${prefix}#`, { qos: 1 }, (err) => { if (err) o.log.warn('cannot subscribe to requests', { error: err.message }); }));
  let chain = Promise.resolve();
  client.on('message', (topic, buf, packet) => {
    if (!topic.startsWith(prefix)) return;
    const name = topic.slice(prefix.length);
    chain = chain.then(async () => {
      const res = await answer(o, name, buf, packet.retain);
      client.publish(`${o.root}/response/${name}`, JSON.stringify(res), { qos: 1, retain: false });
    });
  });
  return { stop: async () => { await chain; await client.endAsync(true).catch(() => undefined); } };
}

/** The response to one request; never throws. */
export async function answer(o: Pick<RouterOptions, 'registry' | 'clock' | 'log' | 'instrument'>, name: string, buf: Buffer, retained = false): Promise<Response> {
  const base = { schema: { name: 'temguard/response', version: 1 } as const, instrument: o.instrument, command: name };
  const parsed = parseRequest(buf);
  const transaction = typeof parsed === 'object' ? parsed.transaction : undefined;
  const reply = (status: 'ok' | 'error', data: unknown, error?: string): Response => ({
    ...base, ts: new Date(o.clock.now()).toISOString(), status, data, ...(error !== undefined ? { error } : {}), ...(transaction !== undefined ? { transaction } : {}),
  });
  if (typeof parsed === 'string') return reply('error', {}, parsed);
  if (retained) return reply('error', {}, 'retained requests are ignored (publish requests with retain false): a retained one would run again at every reconnect');
  try {
    return reply('ok', (await o.registry.run(name, parsed.params)) ?? {});
  } catch (err) {
    if (err instanceof CommandError) return reply('error', {}, err.message);
    o.log.error('command failed', { command: name, error: err });
    return reply('error', {}, 'internal error (see the agent log)');
  }
}

/** The request's params and transaction, or why it is not a request. */
function parseRequest(buf: Buffer): { params: Record<string, unknown>; transaction?: string | number } | string {
  const text = buf.toString('utf8').trim();
  if (text === '') return { params: {} };
  let v: unknown;
  try { v = JSON.parse(text); } catch (err) { return `request is not JSON (${(err as Error).message})`; }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'request must be a JSON object';
  const { transaction, ...params } = v as Record<string, unknown>;
  if (transaction !== undefined && typeof transaction !== 'string' && typeof transaction !== 'number') return 'transaction must be a string or a number';
  return { params, ...(transaction !== undefined ? { transaction: transaction as string | number } : {}) };
}

/** The agent's login and TLS settings for the router's own client (its id: the agent's plus `-control`). */
export function routerMqttOptions(p: PublisherOptions): IClientOptions {
  return {
    clientId: `${p.clientId}-control`, protocolVersion: p.protocolVersion, username: p.username, password: p.password,
    ca: p.ca, cert: p.cert, key: p.key, rejectUnauthorized: p.rejectUnauthorized, keepalive: p.keepalive, reconnectPeriod: p.reconnectMs,
  };
}
