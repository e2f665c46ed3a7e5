/**
 * Runs the real agent as a child process (`node --import tsx agent/cli.ts run ...`, or
 * `npm start -- ...` as the README tells a new user), so tests send it real signals and read
 * its real JSON log lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../agent/paths.js';
import { waitFor } from './broker.js';

export interface AgentProcess {
  child: ChildProcess;
  logs: Record<string, unknown>[];
  stderr: string[];
  /**
   * Resolves when the process exits; rejects (and kills it) if it has not within 90 s of the
   * first time a test asks, so a hung agent fails its test instead of hanging the run.
   */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Settings that make tests quick: short write-stability wait, 1 s heartbeat. */
export const FAST_ENV: Record<string, string> = {
  TEMGUARD_WATCH_STABLE_MS: '200',
  TEMGUARD_WATCH_POLL_MS: '50',
  TEMGUARD_WATCH_RETRY_DELAY_MS: '200',
  TEMGUARD_SCHEDULE_STATUS: '* * * * * *',
  TEMGUARD_DETECTOR_PROVIDERS: '[cpu]',
  TEMGUARD_MQTT_RECONNECT_MS: '300',
};

/** `npm start` runs the built agent (dist/, made by `npm ci`'s prepare step). */
export type Launcher = 'tsx' | 'npm-start';

/** user: run as another user (uid, gid), e.g. to meet permissions that root would override. */
export function startAgent(args: string[], env: Record<string, string> = {}, launcher: Launcher = 'tsx', user?: { uid: number; gid: number }): AgentProcess {
  const [cmd, argv] = launcher === 'npm-start'
    ? ['npm', ['start', '--silent', '--', ...args]]
    : [process.execPath, ['--import', 'tsx', join(PACKAGE_ROOT, 'agent', 'cli.ts'), 'run', ...args]];
  const child = spawn(cmd, argv, {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, ...FAST_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...user,
  });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try { logs.push(JSON.parse(line)); } catch { logs.push({ unparsed: line }); }
    }
  });
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let bounded: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
  const exited = () => (bounded ??= new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`agent did not exit within 90 s; last logs: ${JSON.stringify(logs.slice(-3))}`)); }, 90_000);
    exit.then((r) => { clearTimeout(timer); resolve(r); });
  }));
  return {
    child, logs, stderr,
    get exited() { return exited(); },
    async waitLog(msg, timeoutMs = 60_000) {
      let found: Record<string, unknown> | undefined;
      await waitFor(() => { found = logs.find((l) => l.msg === msg); return !!found || child.exitCode !== null; }, timeoutMs, `log "${msg}"`);
      if (!found) throw new Error(`agent exited (${child.exitCode}) before logging "${msg}": ${stderr.join('')} ${JSON.stringify(logs.slice(-5))}`);
      return found;
    },
  };
}
