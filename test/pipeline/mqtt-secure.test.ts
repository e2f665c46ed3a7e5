/**
 * Site brokers: mqtts:// with a private CA, username + password from a file (as systemd's
 * LoadCredential hands it over), wrong credentials surfaced, and secrets never logged.
 * The broker is a real aedes behind a real TLS server on loopback, with a certificate made
 * by openssl for this test run.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createTlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { loadConfig } from '../../agent/config/load.js';
import { createLogger } from '../../agent/log.js';
import { publisherOptions, SetupError } from '../../agent/pipeline/mqtt-options.js';
import { StateStore } from '../../agent/pipeline/outbox.js';
import { envelope } from '../../agent/pipeline/payloads.js';
import { Publisher } from '../../agent/pipeline/publish.js';
import { freePort, waitFor } from '../helpers/broker.js';

const dir = mkdtempSync(join(tmpdir(), 'tg-tls-'));
const hasOpenssl = (() => { try { execFileSync('openssl', ['version']); return true; } catch { return false; } })();
const maybe = hasOpenssl ? test.serial : test.skip;

function makeCert(): { key: string; cert: string } {
  const key = join(dir, 'key.pem'), cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  return { key, cert };
}

async function tlsBroker(port: number, pem: { key: string; cert: string }, user: string, pass: string) {
  const aedes = await Aedes.createBroker();
  aedes.authenticate = (_client, username, password, done) => {
    const ok = username === user && password?.toString() === pass;
    done(ok ? null : Object.assign(new Error('bad credentials'), { returnCode: 4 }), ok);
  };
  const server = createTlsServer({ key: readFileSync(pem.key), cert: readFileSync(pem.cert) }, aedes.handle);
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { close: async () => { await new Promise<void>((r) => aedes.close(() => r())); await new Promise<void>((r) => server.close(() => r())); } };
}

function setup(url: string, yaml: Record<string, unknown>, lines: string[], env: NodeJS.ProcessEnv = {}) {
  const cfg = loadConfig({ overrides: { 'mqtt.url': url, 'mqtt.protocol_version': '4', 'mqtt.reconnect_ms': 300, ...yaml } });
  const store = StateStore.open(mkdtempSync(join(dir, 'state-')), createLogger({ write: () => {} }));
  const log = createLogger({ level: 'debug', write: (l) => lines.push(l) });
  const pub = new Publisher(publisherOptions(cfg, url, false, { CREDENTIALS_DIRECTORY: dir, ...env }), { store, log, retainedOnConnect: () => ({}), lastWill: { state: 'offline' } });
  const payload = envelope('result', store.nextSeq(), 'tls', { hello: 1 });
  store.recordImage('x|1|1', [{ topic: 'result', msg_id: payload.msg_id, seq: payload.seq, payload }]);
  return { pub, store };
}

maybe('mqtts with a private CA and a password from $CREDENTIALS_DIRECTORY: delivered, password never logged', async (t) => {
  const pem = makeCert();
  const port = await freePort();
  const broker = await tlsBroker(port, pem, 'microscope', 's3cret-pass');
  writeFileSync(join(dir, 'mqtt-password'), 's3cret-pass\n');
  const lines: string[] = [];
  const { pub, store } = setup(`mqtts://127.0.0.1:${port}`, { 'mqtt.username': 'microscope', 'mqtt.password_file': '$CREDENTIALS_DIRECTORY/mqtt-password', 'mqtt.ca_file': pem.cert }, lines);
  try {
    pub.start();
    await waitFor(() => store.outboxDepth === 0, 10_000, 'delivered over TLS');
    t.true(pub.connected);
    t.false(lines.join('\n').includes('s3cret-pass'));
  } finally {
    await pub.stop({ state: 'stopped' }, 500);
    await broker.close();
    store.close();
  }
});

maybe('wrong password: refused and reported, nothing acknowledged, nothing lost, no crash', async (t) => {
  const pem = makeCert();
  const port = await freePort();
  const broker = await tlsBroker(port, pem, 'microscope', 'right');
  const lines: string[] = [];
  const { pub, store } = setup(`mqtts://127.0.0.1:${port}`, { 'mqtt.username': 'microscope', 'mqtt.password_env': 'TG_TEST_PW', 'mqtt.ca_file': pem.cert }, lines, { TG_TEST_PW: 'wrong-one' });
  try {
    t.throws(() => publisherOptions(loadConfig({ overrides: { 'mqtt.password_env': 'TG_NOT_SET_ANYWHERE' } }), 'mqtt://x', false, {}), { instanceOf: SetupError, message: /TG_NOT_SET_ANYWHERE/ });
    pub.start();
    await waitFor(() => lines.some((l) => /refused/.test(l)), 10_000, 'refusal logged');
    t.false(pub.connected);
    t.is(store.outboxDepth, 1, 'the result waits in the outbox');
    t.false(lines.join('\n').includes('wrong-one'));
  } finally {
    await pub.stop({ state: 'stopped' }, 200);
    await broker.close();
    store.close();
  }
});

test('an unreadable TLS file is a setup error naming the setting', (t) => {
  const cfg = loadConfig({ overrides: { 'mqtt.ca_file': join(dir, 'missing-ca.pem') } });
  t.throws(() => publisherOptions(cfg, 'mqtts://x', false), { instanceOf: SetupError, message: /mqtt\.ca_file: cannot read .*ENOENT/ });
});
