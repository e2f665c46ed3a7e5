import test from 'ava';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { main } from '../../agent/cli.js';
import { loadConfig } from '../../agent/config/load.js';
import { startDaemon } from '../../agent/daemon.js';
import { silentLogger } from '../../agent/log.js';
import { freePort, waitFor } from '../helpers/broker.js';
import { schemaErrors } from '../helpers/schemas.js';

/**
 * The real daemon in-process on an embedded broker: simulated images with a pixel-size override
 * and a thickness sidecar; the digest (every second here) carries the session block, and the
 * session manifest lands in the state dir on digest and again at stop.
 */
test('daemon: results carry physics, the digest carries session statistics, the manifest is written on digest and stop', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'tg-session-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const sim = join(root, 'sim'), watch = join(root, 'watch'), state = join(root, 'state');
  await mkdir(watch);
  t.is(await main(['simulate', '--out', sim, '--count', '3', '--seed', '900', '--preset', 'steel-under', '--size', '384'], { stdout: () => {}, stderr: () => {} }), 0);
  const meta = (await readFile(join(sim, 'metadata.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  await writeFile(join(watch, 'temguard.json'), JSON.stringify({ thickness_nm: 100 }));
  const port = await freePort();
  const cfg = loadConfig({
    env: { TEMGUARD_WATCH_STABLE_MS: '200', TEMGUARD_WATCH_POLL_MS: '50', TEMGUARD_DETECTOR_PROVIDERS: '[cpu]', TEMGUARD_SCHEDULE_DIGEST: '* * * * * *', TEMGUARD_SCHEDULE_STATUS: '* * * * * *' },
    overrides: {
      'watch.dir': watch, 'state.dir': state, 'mqtt.url': `embedded://127.0.0.1:${port}`,
      // The three images share a preset's pixel-size range; one override per file, as a site would set it per camera.
      'decode.pixel_size': meta.map((m) => ({ pattern: m.file_name, x: m.pixel_size_nm, y: 0, unit: 'nm' })),
    },
  });
  const daemon = await startDaemon(cfg, { log: silentLogger });
  let stopped = false;
  t.teardown(async () => { if (!stopped) await daemon.stop('test teardown'); });
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4 });
  t.teardown(() => client.endAsync());
  const results: any[] = [];
  let digest: any = null;
  let lastPrediction: any = null;
  client.on('message', (topic, buf) => {
    const msg = JSON.parse(buf.toString());
    if (topic.endsWith('/result')) results.push(msg);
    if (topic.endsWith('/status') && msg.last_prediction) lastPrediction = msg.last_prediction;
    if (topic.endsWith('/digest') && msg.session?.images === 3 && !digest) digest = msg;
  });
  await client.subscribeAsync(`temguard/${cfg.instrument.id}/#`, { qos: 1 });
  for (const m of meta) await copyFile(join(sim, m.file_name), join(watch, m.file_name));
  await waitFor(() => digest !== null, 120_000, 'a digest counting the three images');
  t.is(results.length, 3);
  for (const r of results) {
    t.is(schemaErrors('result', r), null);
    t.is(r.physics.statistics.thickness_nm, 100);
    t.true(r.physics.statistics.density_per_nm2 > 0);
  }
  t.is(schemaErrors('digest', digest), null);
  // The retained status names the last image's measured defocus too (dashboards show it).
  await waitFor(() => lastPrediction?.image === results.at(-1).image.rel, 15_000, 'status with the last prediction');
  t.is(lastPrediction.defocus_um, results.at(-1).physics.defocus.defocus_um);
  const s = digest.session;
  const trusted = results.filter((r) => r.prediction.f1 >= r.prediction.threshold).length;
  t.is(s.trusted, trusted);
  t.is(s.untrusted.low_f1, 3 - trusted);
  if (trusted > 0) t.true(s.statistics.density_per_nm2.value > 0);
  else t.is(s.statistics.density_per_nm2.value, null);
  const manifest = join(state, 'session-manifest.csv');
  await waitFor(async () => (await readFile(manifest, 'utf8').catch(() => '')).trim().split('\n').length === 4, 10_000, 'manifest with three rows');
  stopped = true;
  const stopAt = Date.now();
  await daemon.stop('test done');
  const json = JSON.parse(await readFile(join(state, 'session-manifest.json'), 'utf8'));
  // Rewritten at stop (the schedules stop first, so no digest wrote it after stopAt).
  t.true(Date.parse(json.written) >= stopAt, `written ${json.written}, stop at ${new Date(stopAt).toISOString()}`);
  t.is(json.images.length, 3);
  t.deepEqual(json.images.map((e: any) => e.image).sort(), meta.map((m) => m.file_name).sort());
  for (const e of json.images) t.is(typeof e.why, 'string');
});

