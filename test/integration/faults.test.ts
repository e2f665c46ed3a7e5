/**
 * The agent under faults, end to end (a real child process, real files, real signals): a
 * second agent on the same state or port, a stop that times out, an image that crashes the
 * agent, files still being written, a full state filesystem, errors that a fix should clear.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import sharp from 'sharp';
import { collector, freePort, waitFor, type Collected } from '../helpers/broker.js';
import { startAgent } from '../helpers/agent.js';
import { sampleImages } from '../helpers/images.js';
import { schemaErrors } from '../helpers/schemas.js';

const tmp = (p: string) => mkdtempSync(join(tmpdir(), p));
const of = (msgs: Collected[], topic: string) => msgs.filter((m) => m.topic.endsWith(`/${topic}`));
const stateLines = (state: string) => existsSync(join(state, 'state.jsonl'))
  ? readFileSync(join(state, 'state.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => { try { return JSON.parse(l); } catch { return { unreadable: l }; } })
  : [];
const journalled = (state: string) => stateLines(state).filter((l) => l.t === 'img');

test.serial('a second agent on the same state directory exits at once, non-zero, naming the first one\'s pid', async (t) => {
  const [watch, state] = [tmp('tg-w-'), tmp('tg-s-')];
  const first = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${await freePort()}`, '--state', state, '--instrument', 'lock-1']);
  try {
    await first.waitLog('temguard running');
    const t0 = Date.now();
    const second = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${await freePort()}`, '--state', state, '--instrument', 'lock-1']);
    const exit = await second.exited;
    t.is(exit.code, 1);
    t.regex(second.stderr.join(''), new RegExp(`in use by another temguard \\(pid ${first.child.pid}\\b`));
    t.true(Date.now() - t0 < 30_000, 'at once, before loading any model');
    t.falsy(second.logs.find((l) => l.msg === 'embedded broker listening'), 'it started nothing');
    first.child.kill('SIGTERM');
    t.is((await first.exited).code, 0);
    t.false(existsSync(join(state, 'temguard.lock')), 'the clean stop released the lock');
  } finally {
    first.child.kill('SIGKILL');
  }
});

test.serial('a second agent whose embedded broker port is taken exits non-zero at once', async (t) => {
  const port = await freePort();
  const first = startAgent(['--watch', tmp('tg-w-'), '--mqtt', `embedded://127.0.0.1:${port}`, '--state', tmp('tg-s-'), '--instrument', 'port-1']);
  try {
    await first.waitLog('temguard running');
    const second = startAgent(['--watch', tmp('tg-w-'), '--mqtt', `embedded://127.0.0.1:${port}`, '--state', tmp('tg-s-'), '--instrument', 'port-2']);
    const exit = await second.exited;
    t.is(exit.code, 1);
    t.regex(second.stderr.join(''), new RegExp(`127\\.0\\.0\\.1:${port} is already in use`));
    first.child.kill('SIGTERM');
    t.is((await first.exited).code, 0);
  } finally {
    first.child.kill('SIGKILL');
  }
});
