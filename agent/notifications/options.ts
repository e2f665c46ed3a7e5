/**
 * The notify section of the config turned into the parts' options: which channels exist,
 * their secrets (read once, here), the gate's limits. Bad values are errors naming the setting.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import type { Channel, DeliveryOptions } from './delivery.js';
import type { GateOptions } from './gate.js';
import { mailChannel } from './mail.js';
import { parseQuietHours } from './quiet.js';
import { secretFrom } from './secrets.js';
import { webhookChannel } from './webhook.js';

export function gateOptions(n: Config['notify']): GateOptions {
  return { cooldownMs: n.cooldown_s * 1000, maxPerHour: n.max_per_hour, digestMs: n.digest_s * 1000, quiet: parseQuietHours(n.quiet_hours, n.quiet_tz) };
}

export function deliveryOptions(n: Config['notify']): DeliveryOptions {
  return { queueMax: n.queue_max, retryInitialMs: n.retry_initial_ms, retryMaxMs: n.retry_max_ms, attempts: n.retry_attempts };
}

/** The configured channels (none: notifications are off). */
export function channels(n: Config['notify'], env: NodeJS.ProcessEnv): Channel[] {
  const out: Channel[] = [];
  const url = n.webhook_url ?? secretFrom(n.webhook_url_file, null, env, 'notify.webhook_url');
  if (url) {
    if (!/^https?:\/\//.test(url)) throw new Error('notify.webhook_url: expected an http:// or https:// URL');
    out.push(webhookChannel({ url, timeoutMs: n.timeout_ms }));
  }
  if (n.mail_host) {
    if (n.mail_to.length === 0) throw new Error('notify.mail_to: at least one recipient is needed when notify.mail_host is set');
    out.push(mailChannel({
      host: n.mail_host, port: n.mail_port, secure: n.mail_secure, requireTls: n.mail_require_tls,
      username: n.mail_username ?? undefined, password: secretFrom(n.mail_password_file, n.mail_password_env, env, 'notify.mail_password'),
      ca: n.mail_ca_file ? readCa(n.mail_ca_file) : undefined, rejectUnauthorized: n.mail_reject_unauthorized,
      from: n.mail_from, to: n.mail_to, subjectPrefix: n.mail_subject_prefix, timeoutMs: n.timeout_ms,
    }));
  }
  return out;
}

function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new Error(`notify.mail_ca_file: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
