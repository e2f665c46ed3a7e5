import test from 'ava';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../../agent/config/load.js';
import { Notifications } from '../../agent/notifications/index.js';
import { channels, deliveryOptions, gateOptions } from '../../agent/notifications/options.js';
import { alertMsg, capture, emitAlert, events, ManualClock, settled } from './helpers.js';

const PASSWORD = 'pw-' + randomUUID();
const T0 = Date.parse('2026-03-02T10:00:00Z');

interface Mail { from: string; to: string[]; data: string; user: string | undefined }

/** A real SMTP server on loopback that requires a login; `refuse(n)` answers 451 to the n-th message. */
async function smtp(refuse: (n: number) => boolean = () => false, port = 0): Promise<{ server: SMTPServer; port: number; mails: Mail[]; logins: { user: string; ok: boolean }[] }> {
  const mails: Mail[] = [];
  const logins: { user: string; ok: boolean }[] = [];
  let n = 0;
  const server = new SMTPServer({
    secure: false, disabledCommands: ['STARTTLS'], allowInsecureAuth: true, authMethods: ['PLAIN', 'LOGIN'], logger: false,
    onAuth(auth, _session, cb) {
      const ok = auth.username === 'temguard' && auth.password === PASSWORD;
      logins.push({ user: auth.username ?? '', ok });
      cb(ok ? null : Object.assign(new Error('bad login'), { responseCode: 535 }), ok ? { user: auth.username } : undefined);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refuse(n++)) { cb(Object.assign(new Error('try later'), { responseCode: 451 })); return; }
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks).toString('utf8'), user: session.user as string | undefined });
        cb();
      });
    },
  });
  server.listen(port, '127.0.0.1');
  await once(server.server, 'listening');
  return { server, port: (server.server.address() as AddressInfo).port, mails, logins };
}

const notifyConfig = (keys: Record<string, unknown>) =>
  loadConfig({ env: {}, overrides: Object.fromEntries(Object.entries(keys).map(([k, v]) => [`notify.${k}`, v])) });

/** The channels as the daemon builds them from a config, password from a file (as under LoadCredential=). */
function configured(port: number, password = PASSWORD) {
  const dir = mkdtempSync(join(tmpdir(), 'tg-mail-'));
  writeFileSync(join(dir, 'smtp-password'), password + '\n');
  const cfg = notifyConfig({
    mail_host: '127.0.0.1', mail_port: port, mail_username: 'temguard', mail_password_file: '$CREDENTIALS_DIRECTORY/smtp-password',
    mail_from: 'temguard@tem-1.example', mail_to: ['ops@example.org', 'lab@example.org'], cooldown_s: 0, retry_initial_ms: 5, retry_max_ms: 50,
  });
  return { cfg, env: { CREDENTIALS_DIRECTORY: dir } };
}

test('an alert start reaches a real SMTP server with a login whose password comes from a credential file; the password is never logged', async (t) => {
  const s = await smtp();
  t.teardown(() => s.server.close());
  const { cfg, env } = configured(s.port);
  const { log, lines } = capture();
  const ev = events(log);
  const n = new Notifications({ channels: channels(cfg.notify, env), on: cfg.notify.on, gate: gateOptions(cfg.notify), delivery: deliveryOptions(cfg.notify) }, { events: ev, clock: new ManualClock(T0), log });
  n.start();
  t.deepEqual(n.status().channels, ['mail']);
  const done = settled(n.deliveries[0]!, 1);
  emitAlert(ev, alertMsg('new', randomUUID(), T0, { kind: 'stall', message: 'no new image for 10 minutes' }));
  t.is((await done)[0]!.outcome, 'sent');
  t.is(s.mails.length, 1);
  const m = s.mails[0]!;
  t.is(m.user, 'temguard');
  t.is(m.from, 'temguard@tem-1.example');
  t.deepEqual(m.to, ['ops@example.org', 'lab@example.org']);
  t.regex(m.data, /^Subject: \[temguard\] tem-1: stall alert started$/m);
  t.regex(m.data, /no new image for 10 minutes/);
  t.false(lines.some((l) => l.includes(PASSWORD)));
  n.stop();
});

test('a mail server that answers 451 (try later) is retried; refused credentials are permanent and not retried', async (t) => {
  const s = await smtp((i) => i < 2);
  t.teardown(() => s.server.close());
  const { cfg, env } = configured(s.port);
  const { log } = capture();
  const ev = events(log);
  const n = new Notifications({ channels: channels(cfg.notify, env), on: cfg.notify.on, gate: gateOptions(cfg.notify), delivery: deliveryOptions(cfg.notify) }, { events: ev, clock: new ManualClock(T0), log });
  n.start();
  const done = settled(n.deliveries[0]!, 1);
  emitAlert(ev, alertMsg('new', randomUUID(), T0));
  t.is((await done)[0]!.outcome, 'sent');
  t.is(s.mails.length, 1);
  t.like(n.status().by_channel.mail, { sent: 1, retries: 2, last_error: 'mail not accepted: SMTP 451' });
  n.stop();

  const bad = configured(s.port, 'wrong');
  const { log: log2, lines } = capture();
  const ev2 = events(log2);
  const n2 = new Notifications({ channels: channels(bad.cfg.notify, bad.env), on: bad.cfg.notify.on, gate: gateOptions(bad.cfg.notify), delivery: deliveryOptions(bad.cfg.notify) }, { events: ev2, clock: new ManualClock(T0), log: log2 });
  n2.start();
  const done2 = settled(n2.deliveries[0]!, 1);
  emitAlert(ev2, alertMsg('new', randomUUID(), T0));
  t.is((await done2)[0]!.outcome, 'failed');
  t.like(n2.status().by_channel.mail, { failed: 1, retries: 0 });
  t.is(s.logins.filter((l) => !l.ok).length, 1, 'one try with the wrong password, not ten');
  t.false(lines.some((l) => l.includes('wrong')));
  n2.stop();
});

test('bad notify settings are clear errors at start', (t) => {
  const { cfg } = configured(25);
  t.throws(() => channels(cfg.notify, {}), { message: /notify.mail_password_file: cannot read \$CREDENTIALS_DIRECTORY\/smtp-password: ENOENT/ });
  const noTo = notifyConfig({ mail_host: 'localhost' });
  t.throws(() => channels(noTo.notify, {}), { message: /notify.mail_to: at least one recipient/ });
  const badUrl = notifyConfig({ webhook_url: 'ftp://x' });
  t.throws(() => channels(badUrl.notify, {}), { message: /notify.webhook_url: expected an http/ });
  const badQuiet = notifyConfig({ quiet_hours: 'night' });
  t.throws(() => gateOptions(badQuiet.notify), { message: /notify.quiet_hours/ });
  t.deepEqual(channels(loadConfig({ env: {} }).notify, {}), [], 'nothing configured: no channels');
});
