/**
 * `temguard run [--watch DIR] [--mqtt URL] [--instrument ID] [--state DIR] [--config FILE]`:
 * the daemon. SIGTERM/SIGINT drain and stop cleanly (publishing availability "stopped");
 * a second signal exits at once; an uncaught error stops the same way with exit code 1.
 */
import { startDaemon, type Daemon } from '../daemon.js';
import { createLogger } from '../log.js';
import { parseFlags, type Command } from './command.js';
import { CONFIG_FLAGS, configFromFlags } from './options.js';

export const run: Command = async (argv, io) => {
  const { flags, positional } = parseFlags(argv, [...Object.keys(CONFIG_FLAGS), 'config']);
  if (positional.length) io.stderr(`temguard run: ignoring unexpected arguments: ${positional.join(' ')}`);
  const cfg = configFromFlags(flags);
  const log = createLogger({ level: cfg.log.level });
  // Signals are wired before anything starts: a stop requested during start-up waits for the
  // start to finish, then takes the one shutdown path like any other.
  let daemon: Daemon | null = null;
  let requested: { reason: string; code: number } | null = null;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => { finish = resolve; });
  let signals = 0;
  const stop = (reason: string, code: number) => {
    if (++signals > 1) { log.warn('second signal: exiting now', { reason }); process.exit(code || 130); }
    if (!daemon) { requested = { reason, code }; return; }
    daemon.stop(reason).then(() => finish(code), (err) => { log.error('stop failed', { error: err }); finish(1); });
  };
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('SIGINT', () => stop('SIGINT', 0));
  process.on('uncaughtException', (err) => { log.error('fatal: uncaught exception', { error: err, stack: err.stack }); stop('fatal', 1); });
  process.on('unhandledRejection', (err) => { log.error('fatal: unhandled rejection', { error: err }); stop('fatal', 1); });
  daemon = await startDaemon(cfg, { log, env: process.env });
  if (requested) { signals = 0; const r: { reason: string; code: number } = requested; stop(r.reason, r.code); }
  return done;
};
