/**
 * `temguard run [--watch DIR] [--mqtt URL] [--instrument ID] [--state DIR] [--config FILE]`:
 * the daemon. SIGTERM/SIGINT drain and stop cleanly (publishing availability "stopped");
 * a second signal at least a second later exits at once; an uncaught error stops the same way
 * with exit code 1; a start that fails (state dir locked by another agent, port taken) exits 1 at once.
 */
import { startDaemon, type Daemon } from '../daemon.js';
import { createLogger } from '../log.js';
import { parseFlags, type Command } from './command.js';
import { CONFIG_FLAGS, configFromFlags } from './options.js';

/**
 * One stop request often arrives twice within milliseconds: Ctrl-C signals the terminal's whole
 * process group, so under `npm start` the agent gets SIGINT from the terminal and again from
 * npm, which forwards it (`timeout` and a control-group kill do the same). Only a signal this
 * long after the first is an operator insisting.
 */
const REPEAT_MS = 1000;

export const run: Command = async (argv, io) => {
  const { flags, positional } = parseFlags(argv, [...Object.keys(CONFIG_FLAGS), 'config', 'pack']);
  if (positional.length) io.stderr(`temguard run: ignoring unexpected arguments: ${positional.join(' ')}`);
  const cfg = configFromFlags(flags);
  const log = createLogger({ level: cfg.log.level });
  // Signals are wired before anything starts: a stop requested during start-up waits for the
  // start to finish, then takes the one shutdown path like any other.
  let daemon: Daemon | null = null;
  let requested: { reason: string; code: number } | null = null;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => { finish = resolve; });
  let firstStopAt: number | null = null;
  const stop = (reason: string, code: number) => {
    if (firstStopAt !== null) { log.warn('second signal: exiting now', { reason }); process.exit(code || 130); }
    firstStopAt = Date.now();
    if (!daemon) { requested = { reason, code }; return; }
    daemon.stop(reason).then(() => finish(code), (err) => { log.error('stop failed', { error: err }); finish(1); });
  };
  const onSignal = (signal: string) => {
    if (firstStopAt !== null && Date.now() - firstStopAt < REPEAT_MS) return; // one request delivered twice
    stop(signal, 0);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('uncaughtException', (err) => { log.error('fatal: uncaught exception', { error: err, stack: err.stack }); stop('fatal', 1); });
  process.on('unhandledRejection', (err) => { log.error('fatal: unhandled rejection', { error: err }); stop('fatal', 1); });
  try {
    daemon = await startDaemon(cfg, { log, env: process.env });
  } catch (err) {
    // startDaemon has undone what it started; exit now, whatever handle a library left behind
    // (a second agent on a taken port logged the reason and then stayed up, ignoring SIGTERM).
    io.stderr(`temguard run: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  if (requested) { firstStopAt = null; const r: { reason: string; code: number } = requested; stop(r.reason, r.code); }
  return done;
};
