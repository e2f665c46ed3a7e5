/**
 * The real agent (child process, embedded broker) with stall.minutes set: with nothing arriving
 * it publishes a schema-valid stall alert, shows it in status and metrics, and the next image
 * ends it.
 */
import test from 'ava';
import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulate } from '../../agent/commands/simulate.js';
import { startAgent } from '../helpers/agent.js';
import { collector, freePort, waitFor } from '../helpers/broker.js';
import { schemaErrors } from '../helpers/schemas.js';

test('agent: nothing arriving raises a stall alert (status, metrics); the next image ends it', async (t) => {
  const src = mkdtempSync(join(tmpdir(), 'tg-stall-src-'));
  const [watch, state] = [mkdtempSync(join(tmpdir(), 'tg-stall-w-')), mkdtempSync(join(tmpdir(), 'tg-stall-s-'))];
  t.is(await simulate(['--out', src, '--count', '1', '--seed', '9', '--size', '256'], { stdout: () => {}, stderr: () => {} }), 0);
  const png = readdirSync(src).find((f) => f.endsWith('.png'))!;
  const port = await freePort();
  const agent = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${port}`, '--state', state, '--instrument', 'st-1'],
    { TEMGUARD_STALL_MINUTES: '0.03', TEMGUARD_STALL_WINDOW: 'always', TEMGUARD_METRICS_LISTEN: '127.0.0.1:0' });
  t.teardown(() => { if (agent.child.exitCode === null) agent.child.kill('SIGKILL'); });
  const metricsUrl = String((await agent.waitLog('metrics listening')).url);
  await agent.waitLog('temguard running');
  const sub = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/st-1/#');
  t.teardown(() => sub.close());
  const alerts = () => sub.messages.filter((m) => m.topic === 'temguard/st-1/alert').map((m) => m.payload as Record<string, unknown>);

  await waitFor(() => alerts().some((a) => a.kind === 'stall' && a.state === 'new'), 30_000, 'stall new');
  const started = alerts().find((a) => a.state === 'new')!;
  t.is(schemaErrors('alert-stall', started), null);
  t.is(started.last_image, null);
  await waitFor(() => sub.messages.some((m) => m.topic === 'temguard/st-1/status' && (m.payload as { stall?: { alert_id?: string } }).stall?.alert_id === started.alert_id), 10_000, 'status with the stall');
  t.regex(await (await fetch(metricsUrl)).text(), /^temguard_stall_active 1$/m);

  copyFileSync(join(src, png), join(watch, png));
  await waitFor(() => alerts().some((a) => a.state === 'end'), 30_000, 'stall end');
  const ended = alerts().find((a) => a.state === 'end')!;
  t.is(schemaErrors('alert-stall', ended), null);
  t.is(ended.alert_id, started.alert_id);
  t.is(ended.last_image, png);
  t.regex(await (await fetch(metricsUrl)).text(), /^temguard_stall_active 0$/m);
  agent.child.kill('SIGTERM');
  t.is((await agent.exited).code, 0);
});
