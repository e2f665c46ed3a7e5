/**
 * A subcommand of the `temguard` CLI. Each lives in its own file under agent/commands/ and
 * is loaded lazily by cli.ts so `temguard inspect` does not pay for onnxruntime or MQTT.
 */
import { createProgress, type Progress, type ProgressOptions, type ProgressSink } from '../progress.js';

export interface CommandIO {
  stdout: (line: string) => void;
  stderr: (line: string) => void;
  /** Where long commands draw their progress (stderr, redrawn on a TTY); absent: no progress. */
  progress?: ProgressSink;
}

/** Returns the process exit code. Throwing UsageError prints its message and exits 2. */
export type Command = (argv: string[], io: CommandIO) => Promise<number>;

export class UsageError extends Error {}

/**
 * Minimal flag parser: `--name value`, `--name=value`, `--flag` (boolean when followed by
 * another flag or nothing), everything else positional. Unknown flags are the caller's
 * business (pass `known` to reject them).
 */
export function parseFlags(argv: string[], known?: readonly string[], booleans: readonly string[] = []): {
  flags: Record<string, string | true>;
  positional: string[];
} {
  const flags: Record<string, string | true> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) { positional.push(a); continue; }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (known && !known.includes(name)) throw new UsageError(`unknown option --${name}`);
    if (eq > 0) flags[name] = a.slice(eq + 1);
    else if (booleans.includes(name) || i + 1 >= argv.length || argv[i + 1]!.startsWith('--')) flags[name] = true;
    else flags[name] = argv[++i]!;
  }
  return { flags, positional };
}

/** A flag that must carry a value. */
export function stringFlag(flags: Record<string, string | true>, name: string): string | undefined {
  const v = flags[name];
  if (v === true) throw new UsageError(`--${name} needs a value`);
  return v;
}

export function requireFlag(flags: Record<string, string | true>, name: string): string {
  const v = stringFlag(flags, name);
  if (v === undefined) throw new UsageError(`--${name} is required`);
  return v;
}

export function numberFlag(flags: Record<string, string | true>, name: string, fallback: number): number {
  const v = stringFlag(flags, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
  return n;
}

/**
 * The progress reporter of a long command: the CLI's stderr sink (none when the caller gave
 * none, e.g. a test's CommandIO), silent with --quiet (agent/progress.ts).
 */
export function commandProgress(io: CommandIO, flags: Record<string, string | true>, o: Omit<ProgressOptions, 'quiet'>): Progress {
  return createProgress(io.progress ?? null, { ...o, quiet: flags.quiet === true });
}
