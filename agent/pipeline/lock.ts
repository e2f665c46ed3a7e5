/**
 * One agent per state directory. Two agents on one journal processed every image twice and
 * their MQTT clients (same client id) kicked each other off, so the second one now refuses
 * to start, naming the first one's pid.
 *
 * The lock is a symbolic link whose target is its content ("pid:start:host"): creating it is
 * atomic and fails if the name exists, and a short target lives in the inode, so the lock can
 * be taken even on a full disk (the agent then starts degraded instead of exiting). It holds
 * the owner's pid and start time from /proc, so a lock left by a crashed agent is recognised
 * as stale even when its pid has since been reused by another process.
 */
import { mkdirSync, readFileSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../log.js';

export const LOCK_NAME = 'temguard.lock';

export class LockError extends Error {
  override name = 'LockError';
  constructor(message: string, readonly pid: number) { super(message); }
}

interface Holder { pid: number; start: string | null; host: string }

export interface StateLock {
  readonly file: string;
  release(): void;
}

export function acquireStateLock(dir: string, log: Logger, pid = process.pid): StateLock {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_NAME);
  const me: Holder = { pid, start: startTimeOf(pid), host: hostname() };
  for (let attempt = 0; ; attempt++) {
    try { symlinkSync(format(me), file); break; } catch (err) { if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockFailure(err, file); }
    const other = readHolder(file);
    if (other && other.pid !== pid && alive(other)) {
      throw new LockError(`state.dir ${dir} is in use by another temguard (pid ${other.pid}); stop it, or give this one its own --state directory`, other.pid);
    }
    // A dead owner (crash, SIGKILL, reboot) or an unreadable lock: take it over. Two agents
    // doing this at the same instant is the one race left; the loser of the second try fails above.
    log.warn('removing a stale state lock', { file, pid: other?.pid ?? null });
    try { unlinkSync(file); } catch { /* someone else removed it */ }
  }
  let held = true;
  return {
    file,
    release: () => {
      if (!held) return;
      held = false;
      // Only our own lock: never remove one another agent took over meanwhile.
      if (readHolder(file)?.pid === pid) try { unlinkSync(file); } catch { /* gone */ }
    },
  };
}

function format(h: Holder): string {
  return `${h.pid}:${h.start ?? '-'}:${h.host}`;
}

function lockFailure(err: unknown, file: string): Error {
  return new Error(`cannot create the state lock ${file}: ${(err as Error).message}`);
}

/** The holder named by the lock, or null when it is not a lock we can read (then it is stale). */
function readHolder(file: string): Holder | null {
  let text: string;
  try { text = readlinkSync(file); } catch { return null; }
  const [pid, start, ...host] = text.split(':');
  const n = Number(pid);
  return Number.isSafeInteger(n) && n > 0 ? { pid: n, start: start && start !== '-' ? start : null, host: host.join(':') } : null;
}

/** The owner still runs: its pid exists and, where /proc tells, it is the same process (same start time). */
function alive(h: Holder): boolean {
  if (h.host && h.host !== hostname()) return true; // a state dir on a shared filesystem: cannot tell, assume it runs
  try { process.kill(h.pid, 0); } catch (err) { if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false; }
  const now = startTimeOf(h.pid);
  return h.start === null || now === null || now === h.start;
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or null off Linux. */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}
