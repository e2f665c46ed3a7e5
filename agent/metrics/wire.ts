/** Feeds AgentMetrics from the daemon's events; returns the unsubscribe. */
import type { DaemonEvents } from '../daemon/events.js';
import type { AgentMetrics } from './metrics.js';

export function feedMetrics(metrics: AgentMetrics, events: DaemonEvents): () => void {
  const offs = [
    events.on('result', (e) => metrics.result(e.result)),
    events.on('error', (e) => metrics.error(e.error)),
    events.on('alert', (e) => metrics.alert(e.event)),
  ];
  return () => { for (const off of offs) off(); };
}
