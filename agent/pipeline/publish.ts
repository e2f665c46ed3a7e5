/**
 * Publish: one MQTT.js client per agent. Durable messages (result, alert, error, digest)
 * are taken from the StateStore's outbox, published at QoS 1 and acknowledged in the store
 * only when the broker's PUBACK arrives, so an outage or a crash loses nothing and a re-send
 * carries the original msg_id. Retained state (availability, info, status) is re-published
 * on every (re)connect, since brokers without persistence forget retained messages.
 * A broker that is down at start is not fatal: MQTT.js keeps reconnecting.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../log.js';
import type { OutMsg, StateStore } from './outbox.js';

export interface PublisherOptions {
  url: string;
  clientId: string;
  protocolVersion: 4 | 5;
  /** <prefix>/<instrument> */
  root: string;
  username?: string;
  password?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
  keepalive: number;
  reconnectMs: number;
  inflight: number;
}

export interface PublisherDeps {
  store: StateStore;
  log: Logger;
  /** Retained messages to (re)publish on every connect: topic name -> payload. */
  retainedOnConnect: () => Record<string, object>;
  /** The LWT payload, set once at connect time. */
  lastWill: object;
}

export class Publisher {
  private client: MqttClient | null = null;
  private readonly inflight = new Set<string>();
  private failures = 0;
  private stopping = false;
  published = 0;
  lastError: string | null = null;

  constructor(private readonly o: PublisherOptions, private readonly d: PublisherDeps) {}

  get connected(): boolean { return this.client?.connected ?? false; }
  get inflightCount(): number { return this.inflight.size; }

  start(): void {
    const opts: IClientOptions = {
      clientId: this.o.clientId,
      protocolVersion: this.o.protocolVersion,
      clean: true,
      keepalive: this.o.keepalive,
      reconnectPeriod: this.o.reconnectMs,
      connectTimeout: 10_000,
      username: this.o.username,
      password: this.o.password,
      ca: this.o.ca,
      cert: this.o.cert,
      key: this.o.key,
      rejectUnauthorized: this.o.rejectUnauthorized,
      will: { topic: `${this.o.root}/availability`, payload: Buffer.from(JSON.stringify(this.d.lastWill)), qos: 1, retain: true },
      // Bad credentials are surfaced, not hammered; we retry them slowly ourselves (see onError).
      reconnectOnConnackError: false,
    };
    const client = mqtt.connect(this.o.url, opts);
    this.client = client;
    client.on('connect', () => this.onConnect());
    client.on('close', () => { if (this.failures === 0 && !this.stopping) this.d.log.warn('broker connection closed; reconnecting', { url: redactUrl(this.o.url) }); });
    client.on('error', (err) => this.onError(err));
  }

  /** New messages are in the outbox: send what the inflight window allows. */
  pump(): void {
    const client = this.client;
    if (!client?.connected) return;
    for (const m of this.d.store.outboxValues()) {
      if (this.inflight.size >= this.o.inflight) return;
      if (this.inflight.has(m.msg_id)) continue;
      this.send(client, m);
    }
  }

  /** Best-effort retained publish of state (status heartbeat); skipped while offline, re-sent on connect. */
  publishRetained(topic: string, payload: object): void {
    if (!this.client?.connected) return;
    this.client.publish(`${this.o.root}/${topic}`, JSON.stringify(payload), { qos: 1, retain: true }, (err) => {
      if (err) this.d.log.debug('retained publish failed', { topic, error: err });
    });
  }

  /**
   * Clean stop: wait (bounded) for the outbox to drain, publish the final availability
   * (e.g. {"state":"stopped"}) so dashboards can tell a planned stop from a crash, disconnect.
   */
  async stop(finalAvailability: object, timeoutMs: number): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.stopping = true;
    const deadline = Date.now() + timeoutMs;
    while (client.connected && this.d.store.outboxDepth > 0 && Date.now() < deadline) {
      this.pump();
      await sleep(50);
    }
    if (client.connected) {
      await Promise.race([
        client.publishAsync(`${this.o.root}/availability`, JSON.stringify(finalAvailability), { qos: 1, retain: true }).catch(() => undefined),
        sleep(Math.max(100, deadline - Date.now()), true),
      ]);
    }
    await client.endAsync(true).catch(() => undefined);
    this.client = null;
  }

  private send(client: MqttClient, m: OutMsg): void {
    this.inflight.add(m.msg_id);
    client.publish(`${this.o.root}/${m.topic}`, JSON.stringify(m.payload), { qos: 1 }, (err) => {
      this.inflight.delete(m.msg_id);
      if (err) {
        // Not acknowledged: it stays in the outbox and goes again (same msg_id) on the next pump.
        this.d.log.debug('publish not acknowledged', { topic: m.topic, msg_id: m.msg_id, error: err });
        return;
      }
      this.published++;
      this.d.store.ack([m.msg_id]);
      this.pump();
    });
  }

  private onConnect(): void {
    if (this.failures > 0 || this.published === 0) this.d.log.info('broker connected', { url: redactUrl(this.o.url), protocol: this.o.protocolVersion, outbox: this.d.store.outboxDepth });
    this.failures = 0;
    this.lastError = null;
    for (const [topic, payload] of Object.entries(this.d.retainedOnConnect())) this.publishRetained(topic, payload);
    this.pump();
  }

  private onError(err: Error & { code?: string | number }): void {
    this.failures++;
    this.lastError = err.message;
    // Log the first failure and then every 30th, so a long outage does not flood the journal.
    if (this.failures === 1 || this.failures % 30 === 0) {
      this.d.log.error('broker error', { url: redactUrl(this.o.url), error: err.message, code: err.code, attempts: this.failures });
    }
    const refused = typeof err.code === 'number' && err.code !== 0;
    if (refused && this.client) {
      this.d.log.error('broker refused the connection (credentials or authorisation?); retrying in 30 s', { code: err.code });
      const client = this.client;
      setTimeout(() => { if (this.client === client && !client.connected) client.reconnect(); }, 30_000).unref();
    }
  }
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** unref: a bound that lost its race must not keep the process alive. */
function sleep(ms: number, unref = false): Promise<void> {
  return new Promise((r) => { const t = setTimeout(r, ms); if (unref) t.unref(); });
}
