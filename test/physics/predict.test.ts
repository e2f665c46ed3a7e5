import test from 'ava';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../agent/cli.js';
import { schemaErrors } from '../helpers/schemas.js';

/** `temguard predict` on a simulated under-focus image: the real decoder, detector and forest, then the physics. */
test('predict publishes defocus and the statistics in the result, schema-valid; without a pixel size they are null with reasons', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tg-physics-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const quiet = { stdout: () => {}, stderr: () => {} };
  t.is(await main(['simulate', '--out', dir, '--count', '1', '--seed', '4242', '--preset', 'steel-under', '--size', '512'], quiet), 0);
  const meta = JSON.parse((await readFile(join(dir, 'metadata.jsonl'), 'utf8')).split('\n')[0]!);
  const image = join(dir, 'sim-000001.png');
  const run = async (...extra: string[]): Promise<Record<string, any>> => {
    const out: string[] = [], err: string[] = [];
    t.is(await main(['predict', image, ...extra], { stdout: (l) => out.push(l), stderr: (l) => err.push(l) }), 0, err.join('\n'));
    const msg = JSON.parse(out[0]!);
    t.is(schemaErrors('result', msg), null);
    return msg;
  };

  const bare = await run();
  t.like(bare.physics.defocus, { defocus_um: null, defocus_sigma_um: null, reason: 'pixel_size_unknown' });
  t.is(bare.physics.statistics.density_per_nm2, null);
  t.regex(bare.physics.statistics.reason, /pixel size/);

  const cfg = join(dir, 'site.yaml');
  await writeFile(cfg, `decode:\n  pixel_size:\n    - pattern: "*.png"\n      x: ${meta.pixel_size_nm}\n      unit: nm\n`);
  await writeFile(join(dir, 'temguard.json'), JSON.stringify({ thickness_nm: meta.thickness_nm }));
  const msg = await run('--config', cfg);
  const d = msg.physics.defocus;
  t.not(d.defocus_um, null, JSON.stringify(d));
  t.true(d.defocus_um < 0, `steel-under is under-focus (true ${meta.defocus_nm / 1000} um), got ${d.defocus_um}`);
  t.true(Math.abs(d.defocus_um - meta.defocus_nm / 1000) < 0.5 * Math.abs(meta.defocus_nm / 1000), `true ${meta.defocus_nm / 1000}, got ${d.defocus_um}`);
  const s = msg.physics.statistics;
  t.is(s.count, msg.detections.count);
  t.true(s.density_per_nm2 > 0);
  t.is(s.thickness_nm, meta.thickness_nm);
  t.is(s.thickness_source, join(dir, 'temguard.json'));
  t.true(s.swelling_percent > 0);
  t.true(msg.timing_ms.physics >= 0);
});
