/**
 * The files a config names, checked the way the agent will open them (exists, is a file,
 * this user can read it), so `validate-config` catches a missing password file or CA
 * before the agent starts and fails on it. Only settings that name files are listed here.
 */
import { accessSync, constants, statSync } from 'node:fs';
import type { Config } from './schema.js';
import type { ConfigIssue } from './schema-dsl.js';

export interface FileCheck {
  problems: ConfigIssue[];
  /** What could not be checked here (e.g. $CREDENTIALS_DIRECTORY outside systemd). */
  notes: string[];
}

export function checkFiles(cfg: Config, env: NodeJS.ProcessEnv = process.env): FileCheck {
  const out: FileCheck = { problems: [], notes: [] };
  const m = cfg.mqtt;
  const files: [string, string | null][] = [
    ['mqtt.password_file', m.password_file], ['mqtt.ca_file', m.ca_file], ['mqtt.cert_file', m.cert_file], ['mqtt.key_file', m.key_file],
    ['detector.model', cfg.detector.model], ['forest.model', cfg.forest.model],
  ];
  for (const [setting, raw] of files) {
    if (!raw) continue;
    if (raw.includes('$CREDENTIALS_DIRECTORY') && !env.CREDENTIALS_DIRECTORY) {
      out.notes.push(`${setting}: ${raw} is under $CREDENTIALS_DIRECTORY, which systemd sets only for the service (LoadCredential=): not checked here`);
      continue;
    }
    const problem = unreadable(raw.replace('$CREDENTIALS_DIRECTORY', env.CREDENTIALS_DIRECTORY ?? ''), 'file');
    if (problem) out.problems.push({ path: setting, message: problem });
  }
  if (m.password_env && env[m.password_env] === undefined) out.notes.push(`mqtt.password_env: ${m.password_env} is not set in this environment (it must be in the agent's)`);
  if (cfg.watch.dir) {
    const problem = unreadable(cfg.watch.dir, 'directory');
    if (problem) out.problems.push({ path: 'watch.dir', message: problem });
  }
  return out;
}

function unreadable(path: string, kind: 'file' | 'directory'): string | null {
  let s;
  try { s = statSync(path); } catch (err) { return `${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (err as NodeJS.ErrnoException).code}`; }
  if (kind === 'file' && !s.isFile()) return `${path} is not a regular file`;
  if (kind === 'directory' && !s.isDirectory()) return `${path} is not a directory`;
  try { accessSync(path, kind === 'file' ? constants.R_OK : constants.R_OK | constants.X_OK); } catch { return `${path}: not readable by this user (uid ${process.getuid?.() ?? '?'})`; }
  return null;
}
