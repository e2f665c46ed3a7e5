/**
 * The real agent against a hostile acquisition directory (issue 14, items 3, 4, 7, 10):
 * a directory symlink loop, a file symlink added while the agent was down, the directory
 * deleted and recreated while running, a fake result injected into the embedded broker, and
 * retained info naming the watch directory.
 */
import test from 'ava';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startAgent } from '../helpers/agent.js';
import { collector, freePort, waitFor, type Collected } from '../helpers/broker.js';
import { sampleImages } from '../helpers/images.js';
import { resultMsg } from '../web/messages.js';

const rels = (msgs: Collected[]) => msgs.filter((m) => m.topic.endsWith('/result')).map((m) => (m.payload.image as { rel: string }).rel);
/** From the agent's own log (one line per journalled result): results published before the collector subscribed count too. */
const resultLogs = (logs: Record<string, unknown>[]) => logs.filter((l) => l.msg === 'result').map((l) => String(l.image));

test('symlink loop, symlink caught up, watch dir deleted and recreated, injected result: one result per image, degraded while gone', async (t) => {
  const imgs = await sampleImages(5);
  const watch = mkdtempSync(join(tmpdir(), 'tg-hostile-'));
  const state = mkdtempSync(join(tmpdir(), 'tg-hostile-state-'));
  copyFileSync(imgs[0]!, join(watch, 'a.png'));
  mkdirSync(join(watch, 'sub'));
  copyFileSync(imgs[1]!, join(watch, 'sub', 'b.png'));
  symlinkSync(watch, join(watch, 'dirloop')); // 2 images became 82 results
  mkdirSync(join(watch, '.store')); // hidden: reachable only through the link
  copyFileSync(imgs[2]!, join(watch, '.store', 'kept.png'));
  symlinkSync(join(watch, '.store', 'kept.png'), join(watch, 'linked.png')); // added "while the agent was down"
  const port = await freePort();
  const agent = startAgent(['--watch', watch, '--mqtt', `embedded://127.0.0.1:${port}`, '--state', state, '--instrument', 'hostile-1', '--http', '127.0.0.1:0']);
  t.teardown(() => { if (agent.child.exitCode === null) agent.child.kill('SIGKILL'); });
  await agent.waitLog('temguard running');
  const c = await collector(`mqtt://127.0.0.1:${port}`, 'temguard/hostile-1/#');
  t.teardown(() => c.close());
  const web = String((await agent.waitLog('live view')).url);

  await waitFor(() => resultLogs(agent.logs).length >= 3, 120_000, 'three results');
  const info = c.messages.filter((m) => m.topic.endsWith('/info')).at(-1)!;
  t.is(info.payload.watch_dir, watch, 'retained info names the watch directory');

  // The directory goes away and comes back; a file written meanwhile is caught up.
  rmSync(watch, { recursive: true });
  await agent.waitLog('watch directory lost: nothing is processed until it is back (checked every few seconds)', 20_000);
  await waitFor(() => c.messages.some((m) => m.topic.endsWith('/status') && m.payload.state === 'degraded' && /watch directory lost/.test(String(m.payload.reason))), 20_000, 'status degraded');
  mkdirSync(watch);
  copyFileSync(imgs[3]!, join(watch, 'while-gone.png'));
  await agent.waitLog('watch directory is back; watching it again', 20_000);
  await waitFor(() => resultLogs(agent.logs).includes('while-gone.png'), 120_000, 'the file written while the directory was gone');
  copyFileSync(imgs[4]!, join(watch, 'after.png'));
  await waitFor(() => resultLogs(agent.logs).includes('after.png'), 120_000, 'a file written after it is watched again');
  await waitFor(() => c.messages.filter((m) => m.topic.endsWith('/status')).at(-1)?.payload.state === 'running', 20_000, 'status running again');

  // Someone on the machine publishes a fake result naming a file outside the watch directory.
  const outside = join(mkdtempSync(join(tmpdir(), 'tg-hostile-out-')), 'shadow.png');
  copyFileSync(imgs[0]!, outside);
  const fakeSha = createHash('sha256').update(readFileSync(outside)).digest('hex').replace(/^./, (ch) => (ch === '0' ? '1' : '0'));
  const intruder = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
  await intruder.publishAsync('temguard/hostile-1/result', JSON.stringify(resultMsg({ path: outside, rel: 'shadow.png', sha256: fakeSha, width: 8, height: 8, f1: 0.9, items: [] })), { qos: 1 });
  await intruder.endAsync();
  await waitFor(async () => ((await (await fetch(new URL('api/state', web))).json()) as { latest: { sha256: string } | null }).latest?.sha256 === fakeSha, 10_000, 'the fake result reached the live view');
  t.is((await fetch(new URL(`overlay/${fakeSha}.png`, web))).status, 404, 'an injected result never makes the server read its file');
  const latest = await fetch(new URL('overlay/latest.png', web));
  t.is(latest.status, 200, 'the agent\'s own newest image is drawn');
  t.is(decodeURIComponent(latest.headers.get('x-temguard-image')!), 'after.png');

  agent.child.kill('SIGTERM');
  t.is((await agent.exited).code, 0);
  const all = resultLogs(agent.logs);
  t.deepEqual([...all].sort(), ['.store/kept.png', 'a.png', 'after.png', 'sub/b.png', 'while-gone.png'], `one result per image: ${all.join(', ')}`);
  const published = rels(c.messages).filter((r) => r !== 'shadow.png'); // the intruder's own message aside
  t.is(new Set(published).size, published.length, `no image published twice: ${published.join(', ')}`);
  t.is(agent.logs.filter((l) => l.msg === 'watch directory lost: nothing is processed until it is back (checked every few seconds)').length, 1);
  t.true(agent.logs.some((l) => String(l.msg).startsWith('not following a directory symlink') && l.path === join(watch, 'dirloop')));
});
