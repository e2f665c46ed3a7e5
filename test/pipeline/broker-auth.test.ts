/**
 * The embedded broker against local injection (issue 14, item 7): it takes loopback clients
 * only, even when bound to every interface, and with credentials configured every client
 * (the agent's own and the live view included) must log in.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { createLogger } from '../../agent/log.js';
import { startEmbeddedBroker } from '../../agent/pipeline/broker.js';
import { startAgent } from '../helpers/agent.js';
import { freePort } from '../helpers/broker.js';

const lines: Record<string, unknown>[] = [];
const log = createLogger({ write: (l) => lines.push(JSON.parse(l)) });
const tryConnect = (url: string, o: mqtt.IClientOptions = {}) => mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 3000, ...o }).then(async (c) => { await c.endAsync(true); return 'connected'; }, (err: Error) => err.message);

test('with credentials: anonymous and wrong logins are refused, the right one is accepted', async (t) => {
  const b = await startEmbeddedBroker('127.0.0.1', 0, log, { username: 'scope', password: 's3cret' });
  t.teardown(() => b.close());
  const url = `mqtt://127.0.0.1:${b.port}`;
  t.regex(await tryConnect(url), /not authori[sz]ed|bad user ?name or password/i);
  t.regex(await tryConnect(url, { username: 'scope', password: 'guess' }), /not authori[sz]ed|bad user ?name or password/i);
  t.regex(await tryConnect(url, { username: 'other', password: 's3cret' }), /not authori[sz]ed|bad user ?name or password/i);
  t.is(await tryConnect(url, { username: 'scope', password: 's3cret' }), 'connected');
  t.false(JSON.stringify(lines).includes('s3cret') || JSON.stringify(lines).includes('guess'), 'no password in the logs');
});

const external = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
(external ? test : test.skip)('bound to every interface, it still refuses a client that is not on loopback (skipped without a non-loopback address)', async (t) => {
  const b = await startEmbeddedBroker('0.0.0.0', 0, log);
  t.teardown(() => b.close());
  t.is(await tryConnect(`mqtt://127.0.0.1:${b.port}`), 'connected');
  // Reaching the broker through the machine's own external address is not loopback.
  const closed = await new Promise<boolean>((resolve) => {
    const s = connect(b.port, external!);
    s.on('close', () => resolve(true));
    s.on('error', () => resolve(true));
    setTimeout(() => { s.destroy(); resolve(false); }, 3000);
  });
  t.true(closed, 'the socket is closed at once');
  t.true(lines.some((l) => String(l.msg).startsWith('embedded broker: refusing clients that are not on this machine')));
});

test('the agent with mqtt.username on its embedded broker: it logs in itself, an anonymous intruder is refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-brokerauth-'));
  const pw = join(dir, 'password');
  writeFileSync(pw, 'agent-pass\n');
  const port = await freePort();
  const agent = startAgent(['--watch', dir, '--mqtt', `embedded://127.0.0.1:${port}`, '--state', join(dir, 'state'), '--instrument', 'auth-1'],
    { TEMGUARD_MQTT_USERNAME: 'temguard', TEMGUARD_MQTT_PASSWORD_FILE: pw });
  t.teardown(() => { if (agent.child.exitCode === null) agent.child.kill('SIGKILL'); });
  await agent.waitLog('temguard running');
  await agent.waitLog('broker connected');
  const url = `mqtt://127.0.0.1:${port}`;
  t.regex(await tryConnect(url), /not authori[sz]ed|bad user ?name or password/i);
  t.is(await tryConnect(url, { username: 'temguard', password: 'agent-pass' }), 'connected');
  agent.child.kill('SIGTERM');
  t.is((await agent.exited).code, 0);
  t.false(agent.logs.some((l) => JSON.stringify(l).includes('agent-pass')), 'the password is never logged');
});
