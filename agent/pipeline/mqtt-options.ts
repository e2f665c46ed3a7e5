/**
 * Turns the mqtt section of the config into PublisherOptions: reads the password from a
 * file (systemd LoadCredential) or an environment variable, and the TLS files. Secrets are
 * never logged; a missing file is a clear startup error naming the setting.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import type { PublisherOptions } from './publish.js';

export class SetupError extends Error {
  override name = 'SetupError';
}

export function topicRoot(cfg: Config): string {
  return `${cfg.mqtt.prefix}/${cfg.instrument.id}`;
}

/** brokerUrl: the URL to connect to (for embedded://, the loopback address it listens on). */
export function publisherOptions(cfg: Config, brokerUrl: string, embedded: boolean, env: NodeJS.ProcessEnv = process.env): PublisherOptions {
  const m = cfg.mqtt;
  const protocolVersion = m.protocol_version === 'auto' ? (embedded ? 4 : 5) : (Number(m.protocol_version) as 4 | 5);
  return {
    url: brokerUrl,
    clientId: m.client_id ?? `temguard-${cfg.instrument.id}`,
    protocolVersion,
    root: topicRoot(cfg),
    username: m.username ?? undefined,
    password: password(cfg, env),
    ca: file(m.ca_file, 'mqtt.ca_file'),
    cert: file(m.cert_file, 'mqtt.cert_file'),
    key: file(m.key_file, 'mqtt.key_file'),
    rejectUnauthorized: m.reject_unauthorized,
    keepalive: m.keepalive_s,
    reconnectMs: m.reconnect_ms,
    inflight: m.inflight,
  };
}

function password(cfg: Config, env: NodeJS.ProcessEnv): string | undefined {
  const m = cfg.mqtt;
  if (m.password_file) {
    // $CREDENTIALS_DIRECTORY is where systemd's LoadCredential= puts secrets.
    const path = m.password_file.replace('$CREDENTIALS_DIRECTORY', env.CREDENTIALS_DIRECTORY ?? '$CREDENTIALS_DIRECTORY');
    return file(path, 'mqtt.password_file')!.toString('utf8').replace(/\r?\n$/, '');
  }
  if (m.password_env) {
    const v = env[m.password_env];
    if (v === undefined) throw new SetupError(`mqtt.password_env: environment variable ${m.password_env} is not set`);
    return v;
  }
  return undefined;
}

function file(path: string | null, setting: string): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    throw new SetupError(`${setting}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
