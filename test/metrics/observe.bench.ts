/**
 * Micro-bench: what AgentMetrics.result() (one result's counters and histograms, all eleven
 * stage latencies) costs on the per-image path, and what a scrape costs (off the path).
 *   nice -n 10 npx tsx test/metrics/observe.bench.ts
 */
import { Registry } from 'prom-client';
import { AgentMetrics } from '../../agent/metrics/metrics.js';
import type { ImageResult } from '../../agent/pipeline/analyse.js';

const metrics = new AgentMetrics(new Registry(), {
  queueDepth: () => 0, outboxDepth: () => 0, outboxOldestAgeSeconds: () => 0, brokerConnected: () => true,
  executionProvider: () => 'cpu', models: () => null,
});
const results = Array.from({ length: 1000 }, (_, i) => {
  const f1 = (i % 100) / 100;
  return {
    prediction: { f1, precision: f1, recall: f1, low: f1 < 0.5, threshold: 0.5, interval: { lo: f1 - 0.1, hi: f1 + 0.1, level: 0.9 } },
    timing_ms: { read: 1, decode: 20, detect: 300, detect_pre: 5, inference: 290, detect_post: 5, features: 2, forest: 1, physics: 30, total: 360 + i, queue_wait: 3 },
  } as unknown as ImageResult;
});
const N = 200_000;
for (let i = 0; i < 20_000; i++) metrics.result(results[i % 1000]!); // warm-up
const t0 = process.hrtime.bigint();
for (let i = 0; i < N; i++) metrics.result(results[i % 1000]!);
const perResultUs = Number(process.hrtime.bigint() - t0) / N / 1000;
const s0 = process.hrtime.bigint();
const SCRAPES = 200;
let bytes = 0;
for (let i = 0; i < SCRAPES; i++) bytes = (await metrics.registry.metrics()).length;
const perScrapeMs = Number(process.hrtime.bigint() - s0) / SCRAPES / 1e6;
console.log(JSON.stringify({ observe_us_per_result: +perResultUs.toFixed(3), scrape_ms: +perScrapeMs.toFixed(3), scrape_bytes: bytes, results: N }));
