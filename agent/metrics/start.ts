/**
 * The daemon's metrics: one Registry per agent (injected into the live view too), fed by the
 * daemon's events, gauges read from the live parts only when scraped; the `metrics.listen`
 * listener when configured. Returns what to tear down.
 */
import { Registry } from 'prom-client';
import type { DaemonEvents } from '../daemon/events.js';
import type { Logger } from '../log.js';
import type { StateStore } from '../pipeline/outbox.js';
import { startMetricsServer } from './http.js';
import { AgentMetrics, type MetricsSources } from './metrics.js';
import { feedMetrics } from './wire.js';

export interface DaemonMetricsDeps {
  listen: string | null;
  events: DaemonEvents;
  store: Pick<StateStore, 'outboxDepth' | 'outboxValues'>;
  now: () => number;
  sources: Omit<MetricsSources, 'outboxDepth' | 'outboxOldestAgeSeconds'>;
  log: Logger;
}

export interface DaemonMetrics {
  readonly registry: Registry;
  readonly url: string | null;
  close(): Promise<void>;
}

export async function startDaemonMetrics(d: DaemonMetricsDeps): Promise<DaemonMetrics> {
  const registry = new Registry();
  const metrics = new AgentMetrics(registry, {
    ...d.sources,
    outboxDepth: () => d.store.outboxDepth,
    outboxOldestAgeSeconds: () => oldestAgeSeconds(d.store, d.now()),
  });
  const off = feedMetrics(metrics, d.events);
  const server = d.listen ? await startMetricsServer(d.listen, registry, (err) => d.log.error('metrics scrape failed', { error: err })) : null;
  if (server) d.log.info('metrics listening', { url: server.url });
  return { registry, url: server?.url ?? null, close: async () => { off(); await server?.close(); } };
}

/** The outbox is in publish order: its first message is the oldest; its envelope ts says when it was made. */
function oldestAgeSeconds(store: Pick<StateStore, 'outboxValues'>, now: number): number {
  const first = store.outboxValues().next();
  if (first.done) return 0;
  const ts = Date.parse(String(first.value.payload.ts));
  return Number.isFinite(ts) ? Math.max(0, (now - ts) / 1000) : 0;
}
