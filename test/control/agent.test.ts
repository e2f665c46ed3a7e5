/**
 * Commands end to end: the real agent (child process, embedded broker), a request over MQTT,
 * and the effect on the next image's result and on the retained status.
 */
import test from 'ava';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startAgent } from '../helpers/agent.js';
import { collector, freePort, waitFor } from '../helpers/broker.js';
import { sampleImages } from '../helpers/images.js';
import { schemaErrors } from '../helpers/schemas.js';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));

test.serial('threshold/set over MQTT changes the live F1 threshold of the next result; a bad request changes nothing; the agent stops cleanly', async (t) => {
  const [watch, state] = [tmp('tg-cw-'), tmp('tg-cs-')];
  const [image] = await sampleImages(1);
  const port = await freePort();
  const agent = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${port}`, '--state', state, '--instrument', 'cmd-1']);
  let sub: Awaited<ReturnType<typeof collector>> | undefined;
  try {
    await agent.waitLog('temguard running');
    sub = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/cmd-1/#');
    const c = sub;
    const responses = () => c.messages.filter((m) => m.topic === 'temguard/cmd-1/response/threshold/set');
    await c.client.publishAsync('temguard/cmd-1/request/threshold/set', JSON.stringify({ f1_threshold: 7 }), { qos: 1 });
    await waitFor(() => responses().length === 1, 15_000, 'no answer to the bad request');
    t.is(responses()[0]!.payload.status, 'error');
    await c.client.publishAsync('temguard/cmd-1/request/threshold/set', JSON.stringify({ f1_threshold: 1, transaction: 7 }), { qos: 1 });
    await waitFor(() => responses().length === 2, 15_000, 'no answer');
    const ok = responses()[1]!.payload;
    t.is(schemaErrors('response', ok), null);
    t.is(ok.status, 'ok');
    t.is(ok.transaction, 7);
    t.is((ok.data as { previous: { f1_threshold: number } }).previous.f1_threshold, 0.5, 'the bad request before changed nothing');
    copyFileSync(image!, join(watch, basename(image!)));
    await waitFor(() => c.messages.some((m) => m.topic.endsWith('/result')), 60_000, 'no result');
    const result = c.messages.find((m) => m.topic.endsWith('/result'))!.payload as { prediction: { threshold: number; low: boolean; f1: number } };
    t.is(result.prediction.threshold, 1);
    t.is(result.prediction.low, result.prediction.f1 < 1);
    await waitFor(() => c.messages.some((m) => m.topic.endsWith('/status') && (m.payload.control as { settings?: { f1_threshold: number } } | undefined)?.settings?.f1_threshold === 1), 15_000, 'status does not show the live setting');
    const status = c.messages.filter((m) => m.topic.endsWith('/status')).at(-1)!;
    t.is(schemaErrors('status', status.payload), null);
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
  } finally {
    await sub?.close();
    if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
  }
});

test.serial('rescore over MQTT: a journalled image runs again and its new result names the one it supersedes and both models; unknown images are refused', async (t) => {
  const [watch, state] = [tmp('tg-cw-'), tmp('tg-cs-')];
  const [image] = await sampleImages(1);
  const port = await freePort();
  const agent = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${port}`, '--state', state, '--instrument', 'cmd-2']);
  let sub: Awaited<ReturnType<typeof collector>> | undefined;
  try {
    await agent.waitLog('temguard running');
    sub = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/cmd-2/#');
    const c = sub;
    const results = () => c.messages.filter((m) => m.topic === 'temguard/cmd-2/result');
    const responses = () => c.messages.filter((m) => m.topic === 'temguard/cmd-2/response/rescore');
    const rel = basename(image!);
    copyFileSync(image!, join(watch, rel));
    await waitFor(() => results().length === 1, 60_000, 'no result');
    const first = results()[0]!.payload as { msg_id: string; detector: { sha256: string }; forest: { sha256: string } };
    for (const [body, why] of [[{ images: ['nope.png'] }, /not in the journal: nope\.png/], [{ since: 'yesterday' }, /ISO-8601/], [{ images: [rel], since: '2026-01-01T00:00:00Z' }, /invalid request/]] as const) {
      const n = responses().length;
      await c.client.publishAsync('temguard/cmd-2/request/rescore', JSON.stringify(body), { qos: 1 });
      await waitFor(() => responses().length === n + 1, 15_000, 'no answer');
      const r = responses()[n]!.payload;
      t.is(r.status, 'error');
      t.regex(String(r.error), why);
    }
    t.is(results().length, 1, 'refused requests ran nothing');
    await c.client.publishAsync('temguard/cmd-2/request/rescore', JSON.stringify({ images: [rel], transaction: 'r1' }), { qos: 1 });
    await waitFor(() => responses().length === 4, 60_000, 'no answer to rescore');
    const ok = responses()[3]!.payload as { status: string; data: { rescored: number; items: { supersedes: string; msg_id: string }[] } };
    t.is(ok.status, 'ok');
    t.is(ok.data.rescored, 1);
    t.is(ok.data.items[0]!.supersedes, first.msg_id);
    await waitFor(() => results().length === 2, 15_000, 'no rescored result');
    const again = results()[1]!.payload as { msg_id: string; rescore: { supersedes: string; models: { detector: string; forest: string }; previous_models: { detector: string; forest: string } } };
    t.is(schemaErrors('result', again), null);
    t.is(again.msg_id, ok.data.items[0]!.msg_id);
    t.is(again.rescore.supersedes, first.msg_id);
    t.deepEqual(again.rescore.previous_models, { detector: first.detector.sha256, forest: first.forest.sha256 });
    t.deepEqual(again.rescore.models, again.rescore.previous_models, 'same models loaded as before');
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
  } finally {
    await sub?.close();
    if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
  }
});
