/**
 * Progress of a long command (simulate, score, dataset, train, evaluate): count, rate and ETA.
 * On a terminal one line on stderr is redrawn in place (`\r`, at most every `redrawMs`);
 * elsewhere (CI, journald, a pipe) a plain line every `everyMs`, because a log full of
 * carriage returns is unreadable; `quiet` says nothing. stdout is left alone: it carries the
 * commands' results. Everything it touches (the sink, the clock) is injected so tests can
 * drive it without a terminal or real time.
 */

export interface ProgressSink {
  /** Raw write, no newline added (the TTY redraw needs `\r`). */
  write(text: string): void;
  /** A terminal: redraw in place. */
  isTTY: boolean;
  /** Terminal width, to keep the redrawn line on one row. */
  columns?: number;
}

export interface ProgressOptions {
  /** What is being counted, e.g. "simulate" (the line starts with it). */
  label: string;
  /** Items in all; undefined when not known ahead (then no ETA, no percentage). */
  total?: number;
  /** Noun after the count, e.g. "images" (default "items"). */
  unit?: string;
  quiet?: boolean;
  /** Milliseconds; injected for tests. */
  now?: () => number;
  /** Minimum gap between TTY redraws (default 100 ms: fast enough to look alive, cheap). */
  redrawMs?: number;
  /** Gap between plain lines when not a TTY (default 10 s: a log line per 10 s is readable). */
  everyMs?: number;
}

export interface Progress {
  /** `n` more items done (default 1); `note` (e.g. the step just finished) ends the line until the next one. */
  tick(n?: number, note?: string): void;
  /** The last line: final count, rate and time taken; a TTY's redrawn line is ended. */
  done(): void;
}

const BAR_WIDTH = 20;

export function createProgress(sink: ProgressSink | null, o: ProgressOptions): Progress {
  if (o.quiet || !sink) return { tick() {}, done() {} };
  const now = o.now ?? (() => performance.now());
  const t0 = now();
  const gap = sink.isTTY ? (o.redrawMs ?? 100) : (o.everyMs ?? 10_000);
  let count = 0;
  let last = t0;
  let finished = false;
  let lastNote = '';
  const emit = (t: number, final: boolean): void => {
    const line = progressLine(o, count, t - t0, final) + (lastNote ? ` | ${lastNote}` : '');
    if (sink.isTTY) sink.write(`\r${fit(line, sink.columns)}\x1b[K${final ? '\n' : ''}`);
    else sink.write(line + '\n');
  };
  return {
    tick(n = 1, note?: string) {
      if (finished) return;
      count += n;
      if (note !== undefined) lastNote = note;
      const t = now();
      if (t - last < gap) return;
      last = t;
      emit(t, false);
    },
    done() {
      if (finished) return;
      finished = true;
      emit(now(), true);
    },
  };
}

/** One progress line: `label [####----] 12/40 images (30%) 2.1/s ETA 13s` (no bar without a total). */
export function progressLine(o: Pick<ProgressOptions, 'label' | 'total' | 'unit'>, count: number, elapsedMs: number, final = false): string {
  const unit = o.unit ?? 'items';
  const rate = elapsedMs > 0 ? (count * 1000) / elapsedMs : 0;
  const parts = [o.label];
  if (o.total !== undefined && o.total > 0) {
    const frac = Math.min(1, count / o.total);
    const filled = Math.round(frac * BAR_WIDTH);
    parts.push(`[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`, `${count}/${o.total} ${unit}`, `(${Math.floor(frac * 100)}%)`);
  } else parts.push(`${count} ${unit}`);
  parts.push(`${formatRate(rate)}/s`);
  if (final) parts.push(`in ${formatDuration(elapsedMs / 1000)}`);
  else if (o.total !== undefined && rate > 0) parts.push(`ETA ${formatDuration(Math.max(0, o.total - count) / rate)}`);
  return parts.join(' ');
}

function formatRate(r: number): string {
  return r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(2);
}

/** 42s, 3m05s, 1h02m: what `pv` and `tqdm` print. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
}

function fit(line: string, columns?: number): string {
  return columns && columns > 1 && line.length >= columns ? line.slice(0, columns - 1) : line;
}

/** The process's stderr as a sink (what cli.ts hands the commands). */
export function stderrSink(stream: NodeJS.WriteStream = process.stderr): ProgressSink {
  return { write: (s) => { stream.write(s); }, isTTY: !!stream.isTTY, columns: stream.columns };
}
