/**
 * The real agent (a child process, embedded broker on a free port) with a webhook configured
 * through the environment: failed images reach a loopback HTTP receiver, the cooldown holds
 * the repeats, and the status heartbeat reports the channel.
 */
import test from 'ava';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent } from '../helpers/agent.js';
import { collector, freePort, waitFor } from '../helpers/broker.js';
import { schemaErrors } from '../helpers/schemas.js';

/** A loopback webhook receiver that keeps every JSON body it gets. */
async function hookReceiver(): Promise<{ got: Record<string, any>[]; port: number; close: () => void }> {
  const got: Record<string, any>[] = [];
  const server = createServer((req, res) => {
    const c: Buffer[] = [];
    req.on('data', (x: Buffer) => c.push(x));
    req.on('end', () => { got.push(JSON.parse(Buffer.concat(c).toString('utf8'))); res.end('ok'); });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { got, port: (server.address() as AddressInfo).port, close: () => server.close() };
}

test('failed images notify a real webhook from the running agent; repeats are held; status reports the channel', async (t) => {
  const hook = await hookReceiver();
  const got = hook.got;
  t.teardown(hook.close);
  const hookFile = join(mkdtempSync(join(tmpdir(), 'tg-cred-')), 'webhook-url');
  writeFileSync(hookFile, `http://127.0.0.1:${hook.port}/hooks/secret-token\n`);
  const [watch, state] = [mkdtempSync(join(tmpdir(), 'tg-w-')), mkdtempSync(join(tmpdir(), 'tg-s-'))];
  const port = await freePort();
  const agent = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${port}`, '--state', state, '--instrument', 'notify-1'], {
    TEMGUARD_NOTIFY_WEBHOOK_URL_FILE: hookFile,
  });
  t.teardown(() => { agent.child.kill('SIGKILL'); });
  await agent.waitLog('temguard running', 120_000);
  const sub = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/notify-1/#');
  t.teardown(() => sub.close());
  for (let i = 0; i < 3; i++) writeFileSync(join(watch, `bad-${i}.png`), `not a PNG ${i}`);
  await waitFor(() => sub.messages.filter((m) => m.topic.endsWith('/error')).length === 3, 60_000, 'three error messages');
  await waitFor(() => got.length >= 1, 10_000, 'the webhook call');
  const status = () => sub.messages.filter((m) => m.topic.endsWith('/status')).pop()?.payload as Record<string, any> | undefined;
  await waitFor(() => status()?.notifications?.held === 2, 10_000, 'a status with two held notices');
  t.is(got.length, 1, 'one per stage and code within the cooldown');
  t.regex(got[0]!.text, /^notify-1: error at decode \(\w+\): bad-\d\.png/);
  t.like(status()!.notifications, { channels: ['webhook'], by_channel: { webhook: { sent: 1, failed: 0, dropped: 0 } } });
  t.is(schemaErrors('status', status()!), null);
  t.false(agent.logs.some((l) => JSON.stringify(l).includes('secret-token')), 'the URL is not logged');
  agent.child.kill('SIGTERM');
  t.is((await agent.exited).code, 0);
});

test('a stall (nothing arriving) notifies the webhook from the running agent, and its end too', async (t) => {
  const hook = await hookReceiver();
  const got = hook.got;
  t.teardown(hook.close);
  const [watch, state] = [mkdtempSync(join(tmpdir(), 'tg-w-')), mkdtempSync(join(tmpdir(), 'tg-s-'))];
  const port = await freePort();
  const agent = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${port}`, '--state', state, '--instrument', 'stall-n-1'], {
    TEMGUARD_NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${hook.port}/hook`,
    TEMGUARD_STALL_MINUTES: '0.03', TEMGUARD_STALL_WINDOW: 'always',
  });
  t.teardown(() => { agent.child.kill('SIGKILL'); });
  await agent.waitLog('temguard running', 120_000);
  await waitFor(() => got.some((g) => /stall alert started/.test(g.text)), 30_000, 'the stall notice');
  t.regex(got.find((g) => /stall alert started/.test(g.text))!.text, /^stall-n-1: stall alert started/);
  writeFileSync(join(watch, 'arrived.png'), 'not a PNG, but an arrival');
  await waitFor(() => got.some((g) => /stall alert ended/.test(g.text)), 30_000, 'the end notice');
  agent.child.kill('SIGTERM');
  t.is((await agent.exited).code, 0);
});
