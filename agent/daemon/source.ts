/**
 * Where images come from: the configured acquisition directory (it must exist: a typo fails
 * at start, naming the setting), or, with none configured, the demo microscope writing a
 * simulated session into a temp directory that is removed at stop.
 */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { statSafe } from './files.js';
import type { Teardown } from './teardown.js';

export async function imageSource(cfg: Config, log: Logger, teardown: Teardown): Promise<string> {
  if (cfg.watch.dir) {
    const dir = resolve(cfg.watch.dir);
    if (!statSafe(dir)?.isDirectory()) throw new Error(`watch.dir: ${dir} is not a directory (create it or fix --watch)`);
    return dir;
  }
  const dir = mkdtempSync(join(tmpdir(), 'temguard-demo-'));
  teardown.push(() => rm(dir, { recursive: true, force: true })); // after the feed stops (reverse order)
  const { startDemoFeed } = await import('../sim/demo.js');
  const feed = startDemoFeed({ dir, intervalMs: cfg.watch.demo_interval_ms, seed: 1, size: cfg.watch.demo_size, keep: cfg.watch.demo_keep, log: log.child({ component: 'demo' }) });
  teardown.push(() => feed.stop());
  log.info('no acquisition directory configured: running the demo microscope', { dir, interval_ms: cfg.watch.demo_interval_ms });
  return dir;
}
