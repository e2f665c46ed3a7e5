import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { acquireStateLock, LOCK_NAME, LockError } from '../../agent/pipeline/lock.js';
import { silentLogger } from '../../agent/log.js';

const dir = () => mkdtempSync(join(tmpdir(), 'tg-lock-'));
/** A pid that surely belongs to no process: one that has just exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

test('a second agent on the same state directory is refused, naming the first one\'s pid', (t) => {
  const d = dir();
  const first = acquireStateLock(d, silentLogger);
  const err = t.throws(() => acquireStateLock(d, silentLogger, process.pid + 100_000), { instanceOf: LockError });
  t.regex(err!.message, new RegExp(`in use by another temguard \\(pid ${process.pid}\\b`));
  t.is(err!.pid, process.pid);
  first.release();
  t.false(existsSync(join(d, LOCK_NAME)));
  const again = acquireStateLock(d, silentLogger, process.pid + 100_000);
  again.release();
});

test('a lock left by a dead agent is taken over', (t) => {
  const d = dir();
  const pid = deadPid();
  writeFileSync(join(d, LOCK_NAME), JSON.stringify({ pid, start: '1', host: hostname(), at: 'earlier' }));
  const lock = acquireStateLock(d, silentLogger);
  t.is(JSON.parse(readFileSync(lock.file, 'utf8')).pid, process.pid);
  lock.release();
});

test('a lock whose pid now belongs to another process (reused after a crash or reboot) is stale', (t) => {
  const d = dir();
  // Our own pid with a start time that is not ours: the process that wrote it is gone.
  writeFileSync(join(d, LOCK_NAME), JSON.stringify({ pid: process.pid, start: '-1', host: hostname(), at: 'boot before' }));
  const lock = acquireStateLock(d, silentLogger, process.pid + 100_000);
  t.is(JSON.parse(readFileSync(lock.file, 'utf8')).pid, process.pid + 100_000);
  lock.release();
});

test('an unreadable lock file is replaced; release leaves a lock that another agent took over alone', (t) => {
  const d = dir();
  writeFileSync(join(d, LOCK_NAME), 'garbage');
  const lock = acquireStateLock(d, silentLogger);
  writeFileSync(lock.file, JSON.stringify({ pid: 1, start: null, host: hostname(), at: 'now' }));
  lock.release();
  t.true(existsSync(lock.file));
});
