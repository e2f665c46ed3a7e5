/**
 * `temguard run [--watch DIR] [--mqtt URL] [--instrument ID] [--state DIR] [--config FILE]`:
 * the daemon. SIGTERM/SIGINT drain and stop cleanly (publishing availability "stopped");
 * a second signal exits at once; an uncaught error stops the same way with exit code 1.
 */
import { startDaemon } from '../daemon.js';
import { createLogger } from '../log.js';
import { parseFlags, type Command } from './command.js';
import { CONFIG_FLAGS, configFromFlags } from './options.js';

export const run: Command = async (argv, io) => {
  const { flags, positional } = parseFlags(argv, [...Object.keys(CONFIG_FLAGS), 'config']);
  if (positional.length) io.stderr(`temguard run: ignoring unexpected arguments: ${positional.join(' ')}`);
  const cfg = configFromFlags(flags);
  const log = createLogger({ level: cfg.log.level });
  const daemon = await startDaemon(cfg, { log, env: process.env });
  return new Promise<number>((resolve) => {
    let signals = 0;
    const stop = (reason: string, code: number) => {
      if (++signals > 1) { log.warn('second signal: exiting now', { reason }); process.exit(code || 130); }
      daemon.stop(reason).then(() => resolve(code), (err) => { log.error('stop failed', { error: err }); resolve(1); });
    };
    process.on('SIGTERM', () => stop('SIGTERM', 0));
    process.on('SIGINT', () => stop('SIGINT', 0));
    process.on('uncaughtException', (err) => { log.error('fatal: uncaught exception', { error: err, stack: err.stack }); stop('fatal', 1); });
    process.on('unhandledRejection', (err) => { log.error('fatal: unhandled rejection', { error: err }); stop('fatal', 1); });
  });
};
