/**
 * The metrics module over real HTTP: the daemon's event bus feeds an injected Registry, the
 * stand-alone listener serves it, and the scrape is read back with a real text-format parser.
 */
import test from 'ava';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { Registry } from 'prom-client';
import { DaemonEvents } from '../../agent/daemon/events.js';
import { createLogger } from '../../agent/log.js';
import { startMetricsServer } from '../../agent/metrics/http.js';
import { AgentMetrics, type MetricsSources } from '../../agent/metrics/metrics.js';
import { feedMetrics } from '../../agent/metrics/wire.js';
import type { ImageResult, StageError } from '../../agent/pipeline/analyse.js';

type Family = { name: string; type: string; metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }[] };

function result(f1: number, low: boolean, totalMs: number): ImageResult {
  return {
    prediction: { f1, precision: f1, recall: f1, low, threshold: 0.5, interval: { lo: f1 - 0.1, hi: f1 + 0.1, level: 0.9 } },
    timing_ms: { read: 1, decode: 2, detect: 10, detect_pre: 1, inference: 8, detect_post: 1, features: 1, forest: 1, total: totalMs },
  } as unknown as ImageResult;
}

const sources = (over: Partial<MetricsSources> = {}): MetricsSources => ({
  queueDepth: () => 3, outboxDepth: () => 2, outboxOldestAgeSeconds: () => 12.5, brokerConnected: () => true,
  executionProvider: () => 'cpu',
  models: () => ({ detector: { name: 'cavity-yolo', sha256: 'a'.repeat(64) }, forest: { name: 'forest', sha256: 'b'.repeat(64) } }),
  ...over,
});

async function scrape(url: string): Promise<Map<string, Family> & { text: string }> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`scrape: ${res.status}`);
  const text = await res.text();
  const families = parsePrometheusTextFormat(text) as Family[];
  return Object.assign(new Map(families.map((f) => [f.name, f])), { text });
}

test('a scrape over HTTP parses and carries what the events said', async (t) => {
  const log = createLogger({ level: 'error' });
  const events = new DaemonEvents(log);
  const registry = new Registry();
  const metrics = new AgentMetrics(registry, sources());
  const off = feedMetrics(metrics, events);
  const server = await startMetricsServer('127.0.0.1:0', registry, (err) => t.fail(String(err)));
  t.teardown(() => server.close());

  const r1 = result(0.8, false, 40);
  const r2 = result(0.3, true, 2500);
  events.emit('result', { file: {} as never, result: r1, msg: {} as never });
  events.emit('result', { file: {} as never, result: r2, msg: {} as never });
  events.emit('error', { file: {} as never, error: { stage: 'decode', code: 'E_TRUNCATED' } as StageError, msg: {} as never });
  events.emit('alert', { event: { state: 'new' } as never, msg: {} as never });

  const m = await scrape(server.url);
  const processed = m.get('temguard_images_processed_total')!;
  t.is(processed.type, 'COUNTER');
  t.deepEqual(processed.metrics.map((x) => [x.labels?.outcome, Number(x.value)]).sort(), [['error', 1], ['result', 2]]);
  const errs = m.get('temguard_image_errors_total')!.metrics;
  t.deepEqual(errs.map((x) => x.labels), [{ stage: 'decode', code: 'E_TRUNCATED' }]);
  t.is(Number(m.get('temguard_low_images_total')!.metrics[0]!.value), 1);
  const f1 = m.get('temguard_predicted_f1')!;
  t.is(f1.type, 'HISTOGRAM');
  t.is(Number(f1.metrics[0]!.count), 2);
  t.is(Number(f1.metrics[0]!.buckets!['0.5']), 1); // 0.3 below, 0.8 above
  t.true(Math.abs(Number(f1.metrics[0]!.sum) - 1.1) < 1e-9);
  const width = m.get('temguard_predicted_f1_interval_width')!.metrics[0]!;
  t.is(Number(width.count), 2);
  // The parser keeps the family's type but drops labels of labelled histograms: read those lines as text.
  t.is(m.get('temguard_stage_duration_seconds')!.type, 'HISTOGRAM');
  t.regex(m.text, /^temguard_stage_duration_seconds_count\{stage="total"\} 2$/m);
  t.regex(m.text, /^temguard_stage_duration_seconds_bucket\{le="0.05",stage="total"\} 1$/m); // 40 ms in, 2.5 s out: base unit seconds
  t.regex(m.text, /^temguard_stage_duration_seconds_sum\{stage="total"\} 2.54$/m);
  t.notRegex(m.text, /stage="physics"/); // a stage the result did not time is not invented
  t.is(Number(m.get('temguard_alerts_active')!.metrics[0]!.value), 1);
  t.is(Number(m.get('temguard_queue_depth')!.metrics[0]!.value), 3);
  t.is(Number(m.get('temguard_outbox_depth')!.metrics[0]!.value), 2);
  t.is(Number(m.get('temguard_outbox_oldest_age_seconds')!.metrics[0]!.value), 12.5);
  t.is(Number(m.get('temguard_broker_connected')!.metrics[0]!.value), 1);
  t.deepEqual(m.get('temguard_execution_provider_info')!.metrics[0]!.labels, { provider: 'cpu' });
  t.deepEqual(m.get('temguard_model_info')!.metrics.map((x) => x.labels?.role).sort(), ['detector', 'forest']);

  events.emit('alert', { event: { state: 'end' } as never, msg: {} as never });
  off();
  events.emit('result', { file: {} as never, result: r1, msg: {} as never }); // unsubscribed: not counted
  const after = await scrape(server.url);
  t.is(Number(after.get('temguard_alerts_active')!.metrics[0]!.value), 0);
  t.is(Number(after.get('temguard_predicted_f1')!.metrics[0]!.count), 2);
});

test('no global registry: two agents in one process keep their own counts', async (t) => {
  const a = new AgentMetrics(new Registry(), sources());
  const b = new AgentMetrics(new Registry(), sources({ models: () => null, executionProvider: () => null, brokerConnected: () => false }));
  a.result(result(0.7, false, 10));
  const ta = await a.registry.metrics();
  const tb = await b.registry.metrics();
  t.regex(ta, /^temguard_images_processed_total\{outcome="result"\} 1$/m);
  t.notRegex(tb, /^temguard_images_processed_total\{outcome="result"\}/m);
  t.regex(tb, /^temguard_broker_connected 0$/m);
  t.notRegex(tb, /^temguard_model_info\{/m); // no models loaded: no info series
});

test('the stand-alone listener refuses a bad address and answers only /metrics', async (t) => {
  const registry = new Registry();
  await t.throwsAsync(startMetricsServer('nonsense', registry, () => {}), { message: /metrics.listen: expected HOST:PORT/ });
  const server = await startMetricsServer('127.0.0.1:0', registry, () => {});
  t.teardown(() => server.close());
  const other = await fetch(server.url.replace('/metrics', '/'));
  t.is(other.status, 404);
  const post = await fetch(server.url, { method: 'POST' });
  t.is(post.status, 405);
});
