/**
 * The documented site-broker ACL (config/examples/mosquitto) in a real mosquitto: anonymous
 * clients are refused, an agent publishes under its own instrument only, a dashboard reads
 * but cannot inject a fake result. Skips cleanly without Debian's mosquitto.
 */
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { PACKAGE_ROOT } from '../../agent/paths.js';
import { freePort, mosquittoPath, waitFor } from '../helpers/broker.js';

const EXAMPLES = join(PACKAGE_ROOT, 'config', 'examples', 'mosquitto');
const bin = mosquittoPath();
const passwd = spawnSync('mosquitto_passwd', ['-h']).error === undefined;

(bin && passwd ? test : test.skip)('site ACL: agents write only under their instrument, dashboards only read (skipped without mosquitto)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tg-acl-'));
  const port = await freePort();
  const pw = join(dir, 'temguard.passwd');
  writeFileSync(pw, '');
  chmodSync(pw, 0o600);
  for (const [user, pass] of [['talos-1', 'pa'], ['krios-2', 'pb'], ['dashboard', 'pd']]) {
    const r = spawnSync('mosquitto_passwd', ['-b', pw, user!, pass!]);
    t.is(r.status, 0, String(r.stderr));
  }
  const acl = join(dir, 'temguard.acl');
  writeFileSync(acl, readFileSync(join(EXAMPLES, 'temguard.acl')));
  chmodSync(acl, 0o600);
  const conf = readFileSync(join(EXAMPLES, 'temguard.conf'), 'utf8')
    .replace(/^password_file .*$/m, `password_file ${pw}`).replace(/^acl_file .*$/m, `acl_file ${acl}`)
    .replace(/^listener 1883 127\.0\.0\.1$/m, `listener ${port} 127.0.0.1`) + 'persistence false\n'
    // As root, mosquitto would switch to user "mosquitto", who cannot read this test's private temp dir.
    + (process.getuid?.() === 0 ? 'user root\n' : '');
  t.true(conf.includes(`listener ${port}`));
  writeFileSync(join(dir, 'mosquitto.conf'), conf);
  const child = spawn(bin!, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const errs: string[] = [];
  child.stderr!.on('data', (d: Buffer) => errs.push(d.toString()));
  t.teardown(() => { if (t.passed === false) t.log(errs.join('')); });
  t.teardown(() => { child.kill('SIGTERM'); });
  const url = `mqtt://127.0.0.1:${port}`;
  const login = (username?: string, password?: string) => mqtt.connectAsync(url, { username, password, reconnectPeriod: 0, connectTimeout: 2000, protocolVersion: 5 });
  await waitFor(async () => { const c = await login('dashboard', 'pd').catch(() => null); await c?.endAsync(); return c !== null; }, 10_000, 'mosquitto up').catch((err: Error) => { throw new Error(`${err.message}: ${errs.join('')}`); });

  await t.throwsAsync(login(), { message: /not authori[sz]ed|bad user/i }, 'anonymous refused');
  const dash = await login('dashboard', 'pd');
  t.teardown(() => dash.endAsync(true));
  const seen: string[] = [];
  dash.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
  await dash.subscribeAsync('temguard/#', { qos: 1 });
  const agent = await login('talos-1', 'pa');
  t.teardown(() => agent.endAsync(true));

  // Refused publishes at QoS 1 under MQTT 5 come back as PUBACK "not authorized" (reason 135).
  const pubReason = (c: mqtt.MqttClient, topic: string) => c.publishAsync(topic, 'x', { qos: 1 }).then(() => 0, (err: Error & { code?: number }) => err.code ?? -1);
  t.is(await pubReason(agent, 'temguard/talos-1/result'), 0, 'the agent publishes under its instrument');
  t.is(await pubReason(agent, 'temguard/krios-2/result'), 135, 'but not under another instrument');
  t.is(await pubReason(dash, 'temguard/talos-1/result'), 135, 'a dashboard cannot inject a result');
  await agent.publishAsync('temguard/talos-1/status', 'last', { qos: 1 });
  await waitFor(() => seen.some((s) => s.endsWith('/status last')), 10_000, 'dashboard reads');
  t.deepEqual(seen, ['temguard/talos-1/result x', 'temguard/talos-1/status last'], 'only the agent\'s own messages arrive');
});
