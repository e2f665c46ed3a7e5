/**
 * The agent under faults, end to end (a real child process, real files, real signals): a
 * second agent on the same state or port, a stop that times out, an image that crashes the
 * agent, files still being written, a full state filesystem, errors that a fix should clear.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    t.throws(() => lstatSync(join(state, 'temguard.lock')), { code: 'ENOENT' }, 'the clean stop released the lock');
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

/** Keys marked running in the log and not finished or given up since: the image(s) in flight. */
const inFlight = (state: string): string[] => {
  const open = new Set<string>();
  for (const l of stateLines(state)) {
    if (l.t === 'run') open.add(l.key);
    if (l.t === 'img') { open.delete(l.key); if (l.from) open.delete(l.from); }
    if (l.t === 'left') open.delete(l.key);
  }
  return [...open];
};
const runMarks = (state: string, rel: string) => stateLines(state).filter((l) => l.t === 'run' && String(l.key).startsWith(`${rel}|`)).length;

test.serial('a stop that times out journals no unfinished image (no "Session already disposed" error); the next start does them, one result each', async (t) => {
  const [watch, state] = [tmp('tg-w-'), tmp('tg-s-')];
  const images = await sampleImages(4);
  const args = ['--watch', watch, '--mqtt', `embedded://127.0.0.1:${await freePort()}`, '--state', state, '--instrument', 'drain-1'];
  const env = { TEMGUARD_QUEUE_DRAIN_TIMEOUT_S: '0' };
  let agent = startAgent(args, env);
  try {
    await agent.waitLog('temguard running');
    images.forEach((p, i) => copyFileSync(p, join(watch, `q-${i}.png`)));
    await waitFor(() => inFlight(state).length > 0, 60_000, 'an image in flight');
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
    t.truthy(agent.logs.find((l) => String(l.msg).startsWith('drain timeout')), 'the timeout happened');
    const msgs = () => journalled(state).flatMap((l) => l.msgs as { topic: string; payload: any }[]);
    t.deepEqual(msgs().filter((m) => m.topic === 'error').map((m) => m.payload.message), [], 'the stop journalled no image as an error');
    t.true(journalled(state).length < images.length, 'some images were left for the next start');
    t.deepEqual(inFlight(state), [], 'the one given up is marked left, not counted as a crash');

    agent = startAgent(args, env);
    await waitFor(() => journalled(state).length >= images.length, 120_000, 'the rest done at next start');
    const perImage = new Map<string, number>();
    for (const m of msgs()) if (m.topic === 'result') perImage.set(m.payload.image.rel, (perImage.get(m.payload.image.rel) ?? 0) + 1);
    t.deepEqual([...perImage.keys()].sort(), ['q-0.png', 'q-1.png', 'q-2.png', 'q-3.png']);
    t.true([...perImage.values()].every((n) => n === 1), 'one result each');
    t.is(msgs().filter((m) => m.topic === 'error').length, 0);
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
  } finally {
    agent.child.kill('SIGKILL');
  }
});

test.serial('an image in flight at two crashes is quarantined with an error and never tried a third time', async (t) => {
  const [watch, state] = [tmp('tg-w-'), tmp('tg-s-')];
  // A large real frame: its analysis takes long enough to be killed in the middle of it.
  const big = join(tmp('tg-big-'), 'killer.png');
  await sharp((await sampleImages(1))[0]!).resize(3072, 3072).png().toFile(big);
  const port = await freePort();
  const { aedes } = await import('../helpers/broker.js');
  const broker = await aedes(port); // outlives the agent, so the subscriber sees every start
  const sub = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/crash-1/#');
  const args = ['--watch', watch, '--mqtt', `mqtt://127.0.0.1:${port}`, '--state', state, '--instrument', 'crash-1'];
  const env = { TEMGUARD_MQTT_PROTOCOL_VERSION: '4' };
  let agent = startAgent(args, env);
  try {
    await agent.waitLog('temguard running');
    copyFileSync(big, join(watch, 'killer.png'));
    for (let crash = 1; crash <= 2; crash++) {
      await waitFor(() => runMarks(state, 'killer.png') === crash, 120_000, `in flight (start ${crash})`);
      agent.child.kill('SIGKILL'); // as the kernel's OOM killer would
      await agent.exited;
      agent = startAgent(args, env);
    }
    await waitFor(() => of(sub.messages, 'error').length > 0, 60_000, 'the quarantine error');
    const err = of(sub.messages, 'error')[0]!.payload as any;
    t.is(schemaErrors('error', err), null);
    t.is(err.image.rel, 'killer.png');
    t.is(err.stage, 'analyse');
    t.is(err.code, 'crash_loop');
    t.is(err.class, 'input');
    t.regex(err.message, /crashed the agent twice/);
    t.is(runMarks(state, 'killer.png'), 2, 'not tried a third time');
    t.is(of(sub.messages, 'result').length, 0);
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
    agent = startAgent(args, env); // and after yet another start it stays done
    await agent.waitLog('temguard running');
    t.is(runMarks(state, 'killer.png'), 2);
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
  } finally {
    agent.child.kill('SIGKILL');
    await sub.close();
    await broker.close();
  }
});

test.serial('ten files still being written (zero bytes) do not hold up a real image behind them', async (t) => {
  const watch = tmp('tg-w-');
  const retryMs = 4000;
  const agent = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${await freePort()}`, '--state', tmp('tg-s-'), '--instrument', 'zero-1'],
    { TEMGUARD_WATCH_RETRY_DELAY_MS: String(retryMs), TEMGUARD_WATCH_RETRY_TRUNCATED: '2' });
  try {
    await agent.waitLog('temguard running');
    for (let i = 0; i < 10; i++) writeFileSync(join(watch, `empty-${i}.png`), '');
    const retries = () => new Set(agent.logs.filter((l) => String(l.msg).startsWith('image incomplete or unreadable')).map((l) => l.image)).size;
    await waitFor(() => retries() === 10, 30_000, 'all ten tried once');
    const t0 = Date.now();
    copyFileSync((await sampleImages(1))[0]!, join(watch, 'real.png'));
    const result = await agent.waitLog('result', 60_000);
    t.is(result.image, 'real.png');
    t.log(`the real image took ${Date.now() - t0} ms behind ten retrying files (retry delay ${retryMs} ms)`);
    t.is(agent.logs.filter((l) => l.msg === 'image failed').length, 0, 'before any of them had used up its retries');
    await waitFor(() => agent.logs.filter((l) => l.msg === 'image failed').length === 10, 60_000, 'each still ends as one error');
    t.true(agent.logs.filter((l) => l.msg === 'image failed').every((l) => l.code === 'empty' && l.class === 'input'));
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
  } finally {
    agent.child.kill('SIGKILL');
  }
});

/** Mounts a small tmpfs (needs root); null when the machine does not allow it. */
function tmpfs(size: string): string | null {
  const mnt = tmp('tg-tmpfs-');
  try { execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt], { stdio: 'ignore' }); return mnt; } catch { rmSync(mnt, { recursive: true, force: true }); return null; }
}
/** Whether this machine lets us mount a tmpfs; the full-disk tests are skipped where it does not (needs root). */
const canMount = (() => { const m = tmpfs('64k'); if (m) { execFileSync('umount', [m]); rmSync(m, { recursive: true, force: true }); } return m !== null; })();
const tmpfsTest = canMount ? test.serial : test.serial.skip;
function fill(dir: string): string {
  const filler = join(dir, 'filler');
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(65536, 120);
  try { for (;;) writeSync(fd, chunk); } catch { /* full */ }
  try { for (;;) writeSync(fd, chunk.subarray(0, 1)); } catch { /* to the byte */ }
  closeSync(fd);
  return filler;
}

tmpfsTest('a full state filesystem: the agent stays up, degraded with the reason, and resumes when space returns; one result per image', async (t) => {
  const mnt = tmpfs('4m')!;
  const watch = tmp('tg-w-');
  const state = join(mnt, 'state');
  const images = await sampleImages(4);
  const port = await freePort();
  const agent = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${port}`, '--state', state, '--instrument', 'full-1']);
  let sub: Awaited<ReturnType<typeof collector>> | undefined;
  try {
    await agent.waitLog('temguard running');
    const c = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/full-1/#');
    sub = c;
    copyFileSync(images[0]!, join(watch, 'before.png'));
    await waitFor(() => of(c.messages, 'result').length === 1, 60_000, 'a result while there is space');
    const filler = fill(mnt);
    // The log's last page keeps up to 4 KiB of slack that the filler cannot take, so one short
    // result may still be written; three images make sure a write meets the full disk.
    for (let i = 1; i <= 3; i++) copyFileSync(images[i]!, join(watch, `during-${i}.png`));
    const failed = await agent.waitLog('state write failed: pausing intake until writes succeed (nothing is lost; images wait on disk)');
    t.is(failed.code, 'ENOSPC');
    await waitFor(() => of(c.messages, 'status').some((m) => m.payload.state === 'degraded'), 10_000, 'degraded status');
    const st = of(c.messages, 'status').find((m) => m.payload.state === 'degraded')!;
    t.regex(String(st.payload.reason), /ENOSPC|no space/);
    t.is(schemaErrors('status', st.payload), null);
    t.is(agent.child.exitCode, null, 'alive');
    const logged = new Set(journalled(state).flatMap((l) => (l.msgs ?? []).map((m: { msg_id: string }) => m.msg_id)));
    const whileFull = of(c.messages, 'result');
    t.true(whileFull.length <= 2, 'at most the one short result that fitted the slack');
    t.true(whileFull.every((m) => logged.has(m.payload.msg_id)), 'nothing published that the log does not hold');
    unlinkSync(filler);
    await agent.waitLog('state writes succeed again; resuming', 60_000);
    await waitFor(() => of(c.messages, 'result').length === 4, 90_000, 'the waiting images done');
    await waitFor(() => of(c.messages, 'error').some((m) => m.payload.stage === 'state'), 10_000, 'the outage on record');
    await waitFor(() => of(c.messages, 'status').at(-1)?.payload.state === 'running', 10_000, 'running again');
    const outage = of(c.messages, 'error').find((m) => m.payload.stage === 'state')!.payload;
    t.is(schemaErrors('error', outage), null);
    t.is(outage.class, 'io');
    const results = of(c.messages, 'result').map((m) => m.payload as any);
    t.deepEqual(results.map((r) => r.image.rel).sort(), ['before.png', 'during-1.png', 'during-2.png', 'during-3.png']);
    t.is(new Set(results.map((r) => r.msg_id)).size, 4);
    t.false(stateLines(state).some((l) => l.unreadable), 'no torn line in the log');
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
  } finally {
    agent.child.kill('SIGKILL');
    await sub?.close();
    await agent.exited.catch(() => undefined);
    execFileSync('umount', ['-l', mnt]);
  }
});

test.serial('a config error is retried at a start with a changed config, not at a start with the same one', async (t) => {
  const [watch, state] = [tmp('tg-w-'), tmp('tg-s-')];
  const args = ['--watch', watch, '--mqtt', `embedded://127.0.0.1:${await freePort()}`, '--state', state, '--instrument', 'cfg-1'];
  const [img, other] = await sampleImages(2);
  const tooSmall = { TEMGUARD_DECODE_MAX_PIXELS: '1000' };
  let agent = startAgent(args, tooSmall);
  try {
    await agent.waitLog('temguard running');
    copyFileSync(img!, join(watch, 'a.png'));
    const failed = await agent.waitLog('image failed');
    t.is(failed.code, 'too_large');
    t.is(failed.class, 'config');
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);

    agent = startAgent(args, tooSmall); // same config: the error stands
    await agent.waitLog('temguard running');
    copyFileSync(img!, join(watch, 'b.png')); // a marker: processed after any catch-up
    await waitFor(() => agent.logs.some((l) => l.msg === 'image failed' && l.image === 'b.png'), 60_000, 'b.png done');
    t.false(agent.logs.some((l) => l.image === 'a.png'), 'a.png was not redone under the same config');
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);

    unlinkSync(join(watch, 'b.png'));
    copyFileSync(other!, join(watch, 'c.png'));
    agent = startAgent(args); // the limit fixed
    const result = await agent.waitLog('result');
    await waitFor(() => agent.logs.filter((l) => l.msg === 'result').length === 2, 60_000, 'both');
    t.deepEqual(agent.logs.filter((l) => l.msg === 'result').map((l) => l.image).sort(), ['a.png', 'c.png']);
    t.truthy(result);
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
  } finally {
    agent.child.kill('SIGKILL');
  }
});

test.serial('a state log with lines of the wrong shape and garbage over an image line: start-up goes on, and the image is redone under its original msg_id', async (t) => {
  const [watch, state] = [tmp('tg-w-'), tmp('tg-s-')];
  const img = join(watch, 'damaged.png');
  copyFileSync((await sampleImages(1))[0]!, img);
  const st = statSync(img);
  const key = `damaged.png|${st.size}|${Math.round(st.mtimeMs)}`;
  const orig = '5d1c1f5e-0000-4000-8000-00000000d00d';
  // The image was done and published as `orig`; then its line was damaged (not JSON any more).
  writeFileSync(join(state, 'state.jsonl'), [
    '{"t":"seq","next":1000}',
    `{"t":"img","key":${JSON.stringify(key)},"at":${Date.now()},"msgs":[{"topic":"result","msg_id":"${orig}","seq":1,"payload":{"msg_id":"${orig}"#@!garbage`,
    '{"t":"ack","ids":null}',
    '{"t":"msg","msgs":[{"topic":"digest","msg_id":"d1","seq":null,"payload":{}}]}',
  ].join('\n') + '\n');
  const port = await freePort();
  const agent = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${port}`, '--state', state, '--instrument', 'shape-1']);
  try {
    const warn = await agent.waitLog('state log: unreadable or malformed lines skipped');
    t.deepEqual((warn.lines as { line: number }[]).map((l) => l.line), [2, 3, 4]);
    t.deepEqual(warn.redone, [key]);
    await agent.waitLog('temguard running');
    await waitFor(() => journalled(state).some((l) => l.key === key), 60_000, 'redone');
    const line = journalled(state).find((l) => l.key === key)!;
    t.is(line.msgs[0].msg_id, orig, 'the redo reused the msg_id, so a consumer sees it once');
    t.true(Number.isSafeInteger(line.msgs[0].seq), 'seq is a number, not null');
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
  } finally {
    agent.child.kill('SIGKILL');
  }
});

test.serial('a file unreadable at start (EACCES) is an io error, tried again once its permissions change', async (t) => {
  const isRoot = process.getuid?.() === 0;
  const user = isRoot ? { uid: 65534, gid: 65534 } : undefined; // root reads anything: run the agent as nobody
  const [watch, state] = [tmp('tg-w-'), tmp('tg-s-')];
  chmodSync(watch, 0o755);
  chmodSync(state, 0o777);
  const img = join(watch, 'locked.png');
  copyFileSync((await sampleImages(1))[0]!, img);
  chmodSync(img, 0o000);
  const agent = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${await freePort()}`, '--state', state, '--instrument', 'perm-1'],
    { TEMGUARD_WATCH_RETRY_TRUNCATED: '0' }, 'tsx', user);
  try {
    const failed = await agent.waitLog('image failed'); // found by the catch-up scan
    t.is(failed.class, 'io');
    t.is(failed.stage, 'read');
    t.regex(String(failed.retried_when), /permissions/);
    // The operator fixes it; size and mtime (the journal key) stay the same, so only the
    // io error's retry condition lets it be tried again.
    chmodSync(img, 0o644);
    const result = await agent.waitLog('result', 60_000);
    t.is(result.image, 'locked.png');
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
  } finally {
    agent.child.kill('SIGKILL');
  }
});

tmpfsTest('an agent started on a full state filesystem starts degraded (no exit) and catches up once space returns', async (t) => {
  const mnt = tmpfs('4m')!;
  const watch = tmp('tg-w-');
  const state = join(mnt, 'state');
  mkdirSync(state);
  copyFileSync((await sampleImages(1))[0]!, join(watch, 'waiting.png'));
  const filler = fill(mnt);
  const port = await freePort();
  const agent = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${port}`, '--state', state, '--instrument', 'full-2']);
  let sub: Awaited<ReturnType<typeof collector>> | undefined;
  try {
    await agent.waitLog('temguard running');
    const c = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/full-2/#');
    sub = c;
    await waitFor(() => of(c.messages, 'status').some((m) => m.payload.state === 'degraded'), 10_000, 'degraded status');
    t.regex(String(of(c.messages, 'status').find((m) => m.payload.state === 'degraded')!.payload.reason), /ENOSPC|no space/);
    t.is(agent.child.exitCode, null, 'alive');
    unlinkSync(filler);
    await waitFor(() => of(c.messages, 'result').length === 1, 90_000, 'the image done once space is back');
    t.is((of(c.messages, 'result')[0]!.payload as any).image.rel, 'waiting.png');
    await waitFor(() => of(c.messages, 'error').some((m) => m.payload.stage === 'state'), 10_000, 'the outage on record');
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
  } finally {
    agent.child.kill('SIGKILL');
    await sub?.close();
    await agent.exited.catch(() => undefined);
    execFileSync('umount', ['-l', mnt]);
  }
});

test.serial('a stop during a long detection interrupts it between tiles: the agent exits within seconds and the frame is left for the next start', async (t) => {
  const [watch, state] = [tmp('tg-w-'), tmp('tg-s-')];
  const big = join(tmp('tg-big-'), 'frame4096.png');
  await sharp((await sampleImages(1))[0]!).resize(4096, 4096).png().toFile(big); // ~a minute of CPU inference on this machine
  const drainS = 1;
  const agent = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${await freePort()}`, '--state', state, '--instrument', 'abort-1'],
    { TEMGUARD_QUEUE_DRAIN_TIMEOUT_S: String(drainS) });
  try {
    await agent.waitLog('temguard running');
    copyFileSync(big, join(watch, 'frame4096.png'));
    await waitFor(() => inFlight(state).length > 0, 60_000, 'the frame in flight');
    const t0 = Date.now();
    agent.child.kill('SIGTERM');
    t.is((await agent.exited).code, 0);
    const stopMs = Date.now() - t0;
    t.log(`stop took ${stopMs} ms with the frame in flight (drain timeout ${drainS} s)`);
    // What must hold is that systemd never has to kill the agent: the bound is the unit's
    // TimeoutStopSec less a third. The stop's own length is the main thread's work on the frame
    // before the first abort check (decode, normalisation) plus the window in progress, which
    // grow with the machine's load (5.5 s quiet; 9 to 16 s with 6 to 16 runnable tasks on 2
    // cores, where a fixed 15 s bound failed); that the worker let go by itself is the log check.
    const timeoutStopS = Number(/^TimeoutStopSec=(\d+)/m.exec(readFileSync(new URL('../../systemd/temguard.service', import.meta.url), 'utf8'))?.[1]);
    t.true(timeoutStopS > 0, 'TimeoutStopSec read from the unit');
    t.true(stopMs < (timeoutStopS * 1000 * 2) / 3, `stop took ${stopMs} ms (TimeoutStopSec ${timeoutStopS} s)`);
    t.falsy(agent.logs.find((l) => String(l.msg).startsWith('the image in flight did not finish')), 'the worker let go before the detector closed');
    t.is(journalled(state).length, 0, 'not journalled');
    t.deepEqual(inFlight(state), [], 'and not counted as a crash');
  } finally {
    agent.child.kill('SIGKILL');
  }
});
