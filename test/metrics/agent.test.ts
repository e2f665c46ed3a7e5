/**
 * The real agent (child process, embedded broker): /metrics on the live view and on the
 * metrics.listen listener, scraped over HTTP after real images and parsed with a real parser;
 * the counts and model hashes agree with what the agent published on MQTT.
 */
import test from 'ava';
import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { simulate } from '../../agent/commands/simulate.js';
import { startAgent } from '../helpers/agent.js';
import { collector, freePort, waitFor } from '../helpers/broker.js';

type Family = { name: string; type: string; metrics: { value?: string; labels?: Record<string, string>; count?: string }[] };

async function scrape(url: string | URL): Promise<Map<string, Family>> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`scrape ${String(url)}: ${res.status}`);
  return new Map((parsePrometheusTextFormat(await res.text()) as Family[]).map((f) => [f.name, f]));
}

test('agent: /metrics on the live view and on metrics.listen agree with the published results', async (t) => {
  const src = mkdtempSync(join(tmpdir(), 'tg-met-src-'));
  const [watch, state] = [mkdtempSync(join(tmpdir(), 'tg-met-w-')), mkdtempSync(join(tmpdir(), 'tg-met-s-'))];
  t.is(await simulate(['--out', src, '--count', '2', '--seed', '5', '--size', '256'], { stdout: () => {}, stderr: () => {} }), 0);
  const pngs = readdirSync(src).filter((f) => f.endsWith('.png')).sort();
  const port = await freePort();
  const agent = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${port}`, '--state', state, '--instrument', 'met-1', '--http', '127.0.0.1:0'],
    { TEMGUARD_METRICS_LISTEN: '127.0.0.1:0' });
  t.teardown(() => { if (agent.child.exitCode === null) agent.child.kill('SIGKILL'); });
  const own = String((await agent.waitLog('metrics listening')).url);
  const web = String((await agent.waitLog('live view')).url);
  await agent.waitLog('temguard running');
  const sub = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/met-1/result');
  t.teardown(() => sub.close());

  for (const f of pngs) copyFileSync(join(src, f), join(watch, f));
  await waitFor(() => sub.messages.length === 2, 60_000, 'two results');
  const results = sub.messages.map((m) => m.payload as { detector: { sha256: string; ep: string }; forest: { sha256: string }; prediction: { low: boolean } });

  for (const url of [own, new URL('metrics', web).href]) {
    const m = await scrape(url);
    t.is(Number(m.get('temguard_images_processed_total')!.metrics.find((x) => x.labels?.outcome === 'result')!.value), 2, url);
    t.is(Number(m.get('temguard_predicted_f1')!.metrics[0]!.count), 2);
    t.is(Number(m.get('temguard_low_images_total')!.metrics[0]!.value), results.filter((r) => r.prediction.low).length);
    t.is(Number(m.get('temguard_broker_connected')!.metrics[0]!.value), 1);
    t.is(m.get('temguard_execution_provider_info')!.metrics[0]!.labels!.provider, results[0]!.detector.ep);
    const info = m.get('temguard_model_info')!.metrics;
    t.is(info.find((x) => x.labels?.role === 'detector')!.labels!.sha256, results[0]!.detector.sha256);
    t.is(info.find((x) => x.labels?.role === 'forest')!.labels!.sha256, results[0]!.forest.sha256);
    t.is(m.get('temguard_stage_duration_seconds')!.type, 'HISTOGRAM');
  }
  agent.child.kill('SIGTERM');
  t.is((await agent.exited).code, 0);
});
