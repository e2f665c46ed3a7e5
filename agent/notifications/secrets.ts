/**
 * Secrets for the notification channels, read as the MQTT password is
 * (agent/pipeline/mqtt-options.ts): from a file (systemd LoadCredential= puts it under
 * $CREDENTIALS_DIRECTORY) or an environment variable. Read once at start; never logged.
 */
import { readFileSync } from 'node:fs';

export function secretFrom(file: string | null, envName: string | null, env: NodeJS.ProcessEnv, setting: string): string | undefined {
  if (file) {
    const path = file.replace('$CREDENTIALS_DIRECTORY', env.CREDENTIALS_DIRECTORY ?? '$CREDENTIALS_DIRECTORY');
    try {
      return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new Error(`${setting}_file: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (envName) {
    const v = env[envName];
    if (v === undefined) throw new Error(`${setting}_env: environment variable ${envName} is not set`);
    return v;
  }
  return undefined;
}
