import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readlinkSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
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
  t.throws(() => readlinkSync(join(d, LOCK_NAME)), { code: 'ENOENT' });
  const again = acquireStateLock(d, silentLogger, process.pid + 100_000);
  again.release();
});

test('a lock left by a dead agent is taken over', (t) => {
  const d = dir();
  const pid = deadPid();
  symlinkSync(`${pid}:1:${hostname()}`, join(d, LOCK_NAME));
  const lock = acquireStateLock(d, silentLogger);
  t.is(readlinkSync(lock.file).split(':')[0], String(process.pid));
  lock.release();
});

test('a lock whose pid now belongs to another process (reused after a crash or reboot) is stale', (t) => {
  const d = dir();
  // Our own pid with a start time that is not ours: the process that wrote it is gone.
  symlinkSync(`${process.pid}:-1:${hostname()}`, join(d, LOCK_NAME));
  const lock = acquireStateLock(d, silentLogger, process.pid + 100_000);
  t.is(readlinkSync(lock.file).split(':')[0], String(process.pid + 100_000));
  lock.release();
});

test('an unreadable lock file is replaced; release leaves a lock that another agent took over alone', (t) => {
  const d = dir();
  writeFileSync(join(d, LOCK_NAME), 'garbage');
  const lock = acquireStateLock(d, silentLogger);
  unlinkSync(lock.file);
  symlinkSync(`1:-:${hostname()}`, lock.file);
  lock.release();
  t.is(readlinkSync(lock.file), `1:-:${hostname()}`, 'the other agent\'s lock stays');
});
