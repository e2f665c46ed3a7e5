/**
 * The facility view (issue 17 part 5): a second page on the live view's server that follows
 * every instrument under `<prefix>/+/...` (an ordinary MQTT subscriber, like the live view) and
 * shows each one's state, last predicted F1 and active alert at a glance.
 *
 *   GET /facility            the page (agent/web/facility-page, read once at start)
 *   GET /facility.js         its script
 *   GET /api/facility        JSON: { prefix, instruments: InstrumentRow[] }
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type IClientOptions } from 'mqtt';
import type { Logger } from '../log.js';
import { PACKAGE_ROOT } from '../paths.js';
import { FacilityState } from './facility-state.js';

export interface FacilityOptions {
  mqttUrl: string;
  mqttOptions?: IClientOptions;
  /** The topic prefix above the instruments, e.g. "temguard". */
  prefix: string;
  log: Logger;
}

export interface FacilityAsset { type: string; body: Buffer }

export interface Facility {
  /** The asset for a path, or the JSON snapshot; null when the path is not the facility's. */
  route(path: string): FacilityAsset | { json: unknown } | null;
  close(): Promise<void>;
}

const DIR = join(PACKAGE_ROOT, 'agent', 'web', 'facility-page');

export function startFacility(o: FacilityOptions): Facility {
  const assets = new Map<string, FacilityAsset>([
    ['/facility', { type: 'text/html; charset=utf-8', body: readFileSync(join(DIR, 'index.html')) }],
    ['/facility.js', { type: 'text/javascript; charset=utf-8', body: readFileSync(join(DIR, 'facility.js')) }],
  ]);
  const state = new FacilityState(o.prefix);
  const client = mqtt.connect(o.mqttUrl, {
    reconnectPeriod: 2000, connectTimeout: 10_000, ...o.mqttOptions,
    clientId: `temguard-facility-${randomBytes(4).toString('hex')}`, clean: true, will: undefined,
  });
  // One level per kind of message the page shows: nothing under request/ or response/ is read.
  const topics = ['availability', 'status', 'result', 'alert'].map((k) => `${o.prefix}/+/${k}`);
  client.on('connect', () => client.subscribe(topics, { qos: 0 }, (err) => { if (err) o.log.warn('facility view cannot subscribe', { error: err }); }));
  client.on('message', (topic, payload) => { state.onMessage(topic, payload); });
  client.on('error', (err) => o.log.debug('facility view broker error', { error: err.message }));
  return {
    route: (path) => {
      if (path === '/api/facility') return { json: { prefix: o.prefix, instruments: state.snapshot() } };
      return assets.get(path) ?? null;
    },
    close: async () => { await client.endAsync(true); },
  };
}
