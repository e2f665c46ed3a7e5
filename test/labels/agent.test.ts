/**
 * The real agent (child process, embedded broker, live view on loopback): every result carries
 * prediction.calibration (null before labels.calibrate_after labels, the fitted map's stamp
 * after); a label POSTed to the live view or sent as an MQTT `label` request comes back as a schema-valid `feedback` message; the
 * labels survive a restart (SIGTERM, same state dir).
 */
import test from 'ava';
import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simulate } from '../../agent/commands/simulate.js';
import { startAgent, type AgentProcess } from '../helpers/agent.js';
import { collector, freePort, waitFor, type Collected } from '../helpers/broker.js';
import { schemaErrors } from '../helpers/schemas.js';

const of = (msgs: Collected[], topic: string) => msgs.filter((m) => m.topic.endsWith(`/${topic}`));

async function stop(agent: AgentProcess): Promise<void> {
  agent.child.kill('SIGTERM');
  await agent.exited;
}

test('agent: calibration stamp in every result, feedback on MQTT, labels kept across a restart', async (t) => {
  const src = mkdtempSync(join(tmpdir(), 'tg-lab-src-'));
  const [watch, state] = [mkdtempSync(join(tmpdir(), 'tg-lab-w-')), mkdtempSync(join(tmpdir(), 'tg-lab-s-'))];
  const code = await simulate(['--out', src, '--count', '3', '--seed', '21', '--size', '256'], { stdout: () => {}, stderr: () => {} });
  t.is(code, 0);
  const pngs = readdirSync(src).filter((f) => f.endsWith('.png')).sort();
  const port = await freePort();
  const args = ['--watch', watch, '--mqtt', `embedded://127.0.0.1:${port}`, '--state', state, '--instrument', 'lab-1', '--http', '127.0.0.1:0'];
  const env = { TEMGUARD_LABELS_CALIBRATE_AFTER: '2' };
  let agent = startAgent(args, env);
  t.teardown(() => { if (agent.child.exitCode === null) agent.child.kill('SIGKILL'); });
  const web = String((await agent.waitLog('live view')).url);
  await agent.waitLog('temguard running');
  const sub = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/lab-1/#');
  t.teardown(() => sub.close());

  for (const f of pngs.slice(0, 2)) copyFileSync(join(src, f), join(watch, f));
  await waitFor(() => of(sub.messages, 'result').length === 2, 60_000, 'two results');
  const results = of(sub.messages, 'result').map((m) => m.payload as { image: { sha256: string; width: number }; prediction: { f1: number; calibration: unknown } });
  for (const r of results) {
    t.is(schemaErrors('result', r), null);
    t.is(r.prediction.calibration, null, 'no calibration before 2 labels');
  }
  const post = (body: object) => fetch(new URL('api/labels', web), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  t.is((await post({ sha256: results[0]!.image.sha256, action: 'confirm' })).status, 200);
  // The second label over MQTT (request/label), after one it must refuse with no effect.
  const request = (body: object) => sub.client.publishAsync('temguard/lab-1/request/label', JSON.stringify(body), { qos: 1 });
  await request({ sha256: 'f'.repeat(64), action: 'confirm', transaction: 'bad-1' });
  await waitFor(() => of(sub.messages, 'response/label').length === 1, 10_000, 'refusal');
  const refused = of(sub.messages, 'response/label')[0]!.payload as { status: string; error: string; transaction: string };
  t.is(refused.status, 'error');
  t.is(refused.transaction, 'bad-1');
  t.regex(refused.error, /not among the last/);
  await request({ sha256: results[1]!.image.sha256, action: 'edit', added: [[0, 0, 12, 12]], transaction: 7 });
  await waitFor(() => of(sub.messages, 'response/label').length === 2, 10_000, 'label response');
  const ok = of(sub.messages, 'response/label')[1]!.payload as { status: string; data: { realized: { fn: number } }; transaction: number };
  t.is(ok.status, 'ok');
  t.is(ok.transaction, 7);
  t.is(ok.data.realized.fn, 1);
  for (const m of of(sub.messages, 'response/label')) t.is(schemaErrors('response', m.payload), null);
  await waitFor(() => of(sub.messages, 'feedback').length === 2, 10_000, 'two feedback messages');
  const fb = of(sub.messages, 'feedback').map((m) => m.payload as { realized: { f1: number; fn: number }; error: { f1: number }; predicted: { f1: number } });
  for (const m of fb) t.is(schemaErrors('feedback', m), null);
  t.is(fb[0]!.realized.f1, 1, 'a confirmed image');
  t.is(fb[1]!.realized.fn, 1, 'the added cavity is a miss');
  t.true(Math.abs(fb[1]!.error.f1 - (fb[1]!.predicted.f1 - fb[1]!.realized.f1)) < 2e-4, 'error = predicted - realized');

  // The third image is scored with the site map fitted on the two labels.
  copyFileSync(join(src, pngs[2]!), join(watch, pngs[2]!));
  await waitFor(() => of(sub.messages, 'result').length === 3, 60_000, 'third result');
  const third = of(sub.messages, 'result')[2]!.payload as { prediction: { calibration: { labels: number; mae_before: number; mae_after: number; applied: boolean } } };
  t.is(schemaErrors('result', third), null);
  t.is(third.prediction.calibration.labels, 2);
  t.is(typeof third.prediction.calibration.mae_before, 'number');

  // Restart on the same state directory: the labels are still there.
  await stop(agent);
  agent = startAgent(args, env);
  const log = await agent.waitLog('spot-check labels');
  t.is(log.labelled, 2);
  t.is((log.calibration as { labels: number }).labels, 2);
  await stop(agent);
});
