/**
 * systemd readiness and watchdog (Type=notify). Node has no AF_UNIX datagram sockets, so we
 * call systemd-notify (NotifyAccess=all in the unit). Without NOTIFY_SOCKET (not under
 * systemd) every call is a no-op.
 */
import { execFile } from 'node:child_process';
import type { Logger } from './log.js';

export interface Notifier {
  ready(): void;
  watchdog(): void;
  stopping(): void;
  status(text: string): void;
}

export function createNotifier(log: Logger, env: NodeJS.ProcessEnv = process.env): Notifier {
  if (!env.NOTIFY_SOCKET) return { ready() {}, watchdog() {}, stopping() {}, status() {} };
  const send = (...args: string[]) => execFile('systemd-notify', args, (err) => { if (err) log.warn('systemd-notify failed', { args, error: err }); });
  return {
    ready: () => send('--ready', `--pid=${process.pid}`),
    watchdog: () => send(`--pid=${process.pid}`, 'WATCHDOG=1'),
    stopping: () => send(`--pid=${process.pid}`, 'STOPPING=1'),
    status: (text) => send(`--pid=${process.pid}`, `--status=${text}`),
  };
}

/** WATCHDOG_USEC/2 in ms, or null when the unit has no watchdog. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  return Number.isFinite(usec) && usec > 0 ? Math.max(1000, usec / 2000) : null;
}
