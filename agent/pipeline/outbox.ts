/**
 * Durable state: the journal of processed images and the outbox of messages the broker has
 * not acknowledged yet, in ONE append-only log (state.jsonl), each line fsynced.
 *
 * Why one log: an image's result and the journal mark that says "done" are written in the
 * same line, so a crash leaves either both (the result is re-sent with its original msg_id
 * after restart) or neither (the image is processed again; nothing was published). Two
 * files could disagree and then an image would be skipped or published twice.
 *
 * Lines:
 *   {"t":"img","key":K,"at":ms,"msgs":[M...],"retry"?:R,"from"?:K0}  image done; its messages enter the outbox
 *   {"t":"msg","msgs":[M...]}                   messages not tied to an image (digest)
 *   {"t":"ack","ids":[msg_id...]}               broker acknowledged these
 *   {"t":"seq","next":N}                        sequence numbers reserved up to N
 *   {"t":"run","key":K,"n"?:N}                  image K is being analysed (crash-loop detection)
 *   {"t":"left","key":K}                        K was given up unfinished at a clean stop (not a crash)
 *   {"t":"reuse","key":K,"ids":[{topic,msg_id}]} msg_ids a damaged line named for K (kept by compaction until K is redone)
 * Compaction rewrites the file (tmp + fsync + rename) with only what is still needed.
 *
 * Write failures (a full disk, EIO) never leave a torn line behind a later good one: the file
 * is cut back to the last complete line, and if even that fails the next line starts on a
 * fresh line. Memory changes only after a line is durable, so nothing is published that the
 * log does not hold. The daemon reads `writeError` to pause intake; acks that cannot be
 * written wait in memory (the worst case is a re-send under the same msg_id).
 */
import { closeSync, existsSync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, statSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from '../log.js';
import { parseStateLine, salvageLine, type Line, type RetryWhen } from './state-lines.js';

export type { RetryWhen } from './state-lines.js';

/** One message waiting for the broker: topic name under the instrument root, and the full payload. */
export interface OutMsg {
  topic: string;
  msg_id: string;
  seq: number;
  payload: Record<string, unknown>;
}

/** The file operations the store needs (node:fs by default; tests inject faults here). */
export interface StateFiles {
  open(path: string, flags: string): number;
  /** Writes from the start of data; returns the bytes written (may be fewer). */
  write(fd: number, data: Buffer): number;
  datasync(fd: number): void;
  fsync(fd: number): void;
  truncate(fd: number, length: number): void;
  /** Current size of the open file. */
  size(fd: number): number;
  close(fd: number): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
}

export const nodeFiles: StateFiles = {
  open: (p, flags) => openSync(p, flags),
  write: (fd, data) => writeSync(fd, data),
  datasync: (fd) => fdatasyncSync(fd),
  fsync: (fd) => fsyncSync(fd),
  truncate: (fd, length) => ftruncateSync(fd, length),
  size: (fd) => fstatSync(fd).size,
  close: (fd) => closeSync(fd),
  rename: (a, b) => renameSync(a, b),
  unlink: (p) => unlinkSync(p),
};

/** A state line could not be made durable (ENOSPC, EIO, ...): nothing in memory changed. */
export class StateWriteError extends Error {
  override name = 'StateWriteError';
  constructor(readonly code: string, message: string) { super(message); }
}

export interface DoneEntry { at: number; retry?: RetryWhen }

/** What load() found wrong, for the log and for tests. */
export interface LoadReport {
  badLines: { line: number; reason: string; keys: string[] }[];
  /** Keys named only by bad lines and not done otherwise: they are redone. */
  redone: string[];
}

const SEQ_BLOCK = 1000;
/** Reserve the next block while this many numbers are still left, so a failing disk does not stop numbering at once. */
const SEQ_MARGIN = 500;
const BACKOFF_MIN_MS = 1000;
const BACKOFF_MAX_MS = 30_000;
const COMPACT_RETRY_MS = 60_000;
const PROBE_MIN_BYTES = 64 * 1024;

export class StateStore {
  private fd: number;
  private size = 0; // bytes of complete lines in the file: where a failed write is cut back to
  private torn = false; // the file may end in part of a line we could not cut off
  private readonly done = new Map<string, DoneEntry>();
  private readonly pending = new Map<string, OutMsg>(); // msg_id -> message, insertion = publish order
  private readonly runs = new Map<string, number>(); // key -> run marks without completion (crashes in flight)
  private readonly markedNow = new Set<string>(); // keys marked running by this process
  private readonly reuse = new Map<string, { topic: string; msg_id: string }[]>();
  private readonly unwrittenAcks: string[] = [];
  private seq = 1;
  private seqReserved = 0;
  private deadLines = 0;
  private failure: { since: number; error: string; code: string; bytes: number } | null = null;
  private recovered: { since: number; until: number; error: string; code: string } | null = null;
  private backoffMs = BACKOFF_MIN_MS;
  private nextTryAt = 0;
  private compactNotBefore = 0;
  readonly file: string;
  loadReport: LoadReport = { badLines: [], redone: [] };

  private constructor(dir: string, private readonly log: Logger, private readonly files: StateFiles) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'state.jsonl');
    this.load();
    this.fd = this.files.open(this.file, 'a');
    this.size = statSync(this.file).size;
  }

  static open(dir: string, log: Logger, files: StateFiles = nodeFiles): StateStore {
    return new StateStore(dir, log, files);
  }

  isDone(key: string): boolean { return this.done.has(key); }
  doneEntry(key: string): DoneEntry | undefined { return this.done.get(key); }
  get doneCount(): number { return this.done.size; }
  get outboxDepth(): number { return this.pending.size; }
  /** Unacknowledged messages in the order they were stored (a live iterator: no copy per pump). */
  outboxValues(): IterableIterator<OutMsg> { return this.pending.values(); }
  /** The last write failure while it lasts ("ENOSPC: no space left on device, write"), else null. */
  get writeError(): string | null { return this.failure?.error ?? null; }
  /** Run marks of this key left by earlier processes that never finished it: crashes while it was in flight. */
  unfinishedRuns(key: string): number { return this.markedNow.has(key) ? (this.runs.get(key) ?? 1) - 1 : this.runs.get(key) ?? 0; }
  /** msg_ids a bad line named for this key: a redo publishes under them, not new ones. */
  reusableIds(key: string): { topic: string; msg_id: string }[] { return this.reuse.get(key) ?? []; }

  /** Next sequence number; reserves blocks durably (ahead of use) so numbers never repeat across restarts. */
  nextSeq(): number {
    if (this.seq + SEQ_MARGIN >= this.seqReserved && (this.seq >= this.seqReserved || this.tryDue())) {
      const next = this.seq + SEQ_BLOCK;
      try {
        this.append({ t: 'seq', next });
        this.seqReserved = next;
      } catch (err) {
        if (this.seq >= this.seqReserved) throw err; // none left that are known durable
      }
    }
    return this.seq++;
  }

  /**
   * For retained state messages (availability, info, status), which are not journalled: when no
   * number can be reserved (a full disk at start, or a long outage) the last one handed out is
   * repeated, rather than failing the heartbeat that says the agent is degraded.
   */
  retainedSeq(): number {
    try { return this.nextSeq(); } catch (err) { if (err instanceof StateWriteError) return Math.max(1, this.seq - 1); throw err; }
  }

  /**
   * Marks an image done and stores its messages, atomically (one fsynced line). `retry` says
   * when a journalled error is worth trying again; `started` is the key its run mark was
   * written under, when the file changed while it was analysed.
   */
  recordImage(key: string, msgs: OutMsg[], opts: { retry?: RetryWhen; started?: string } = {}): void {
    const at = Date.now();
    const from = opts.started !== undefined && opts.started !== key ? opts.started : undefined;
    this.append({ t: 'img', key, at, msgs, ...(opts.retry ? { retry: opts.retry } : {}), ...(from !== undefined ? { from } : {}) });
    this.done.set(key, opts.retry ? { at, retry: opts.retry } : { at });
    for (const k of [key, from]) if (k !== undefined) { this.runs.delete(k); this.markedNow.delete(k); this.reuse.delete(k); }
    for (const m of msgs) this.pending.set(m.msg_id, m);
  }

  recordMessages(msgs: OutMsg[]): void {
    this.append({ t: 'msg', msgs });
    for (const m of msgs) this.pending.set(m.msg_id, m);
  }

  /** The broker acknowledged these. Never throws: an ack that cannot be written waits for the next good write. */
  ack(ids: string[]): void {
    const known = ids.filter((id) => this.pending.delete(id));
    if (known.length === 0) return;
    this.unwrittenAcks.push(...known);
    if (!this.failure || this.tryDue()) this.flushAcks();
  }

  /** Marks an image as being analysed, once per process: if we crash now, the next start knows. */
  markRunning(key: string): void {
    if (this.markedNow.has(key)) return;
    this.append({ t: 'run', key });
    this.runs.set(key, (this.runs.get(key) ?? 0) + 1);
    this.markedNow.add(key);
  }

  /** An image given up unfinished by a clean stop or put back for a later retry: not a crash. */
  markLeft(key: string): void {
    if (!this.runs.has(key)) return;
    this.append({ t: 'left', key });
    this.runs.delete(key);
    this.markedNow.delete(key);
  }

  /**
   * While writes fail, probes with exponential backoff (1 s .. 30 s; `force` ignores it): first
   * that a scratch file as big as the failed line (64 KiB at least) fits, since a short line can
   * still squeeze into the log's last page on a full disk, then one harmless durable line (the
   * buffered acks, else a seq reservation). True when writes work again.
   */
  retryWrites(force = false): boolean {
    if (!this.failure) return true;
    if (!force && !this.tryDue()) return false;
    const probe = this.roomFor(Math.max(PROBE_MIN_BYTES, this.failure.bytes));
    if (probe) { this.failed(probe, this.failure.bytes); return false; }
    if (this.unwrittenAcks.length) return this.flushAcks();
    const next = Math.max(this.seqReserved, this.seq + SEQ_BLOCK);
    try { this.append({ t: 'seq', next }); this.seqReserved = next; return true; } catch { return false; }
  }

  /** The outage that just ended (once), so the daemon can put it on record. */
  takeRecovery(): { since: number; until: number; error: string; code: string } | null {
    const r = this.recovered;
    this.recovered = null;
    return r;
  }

  /** True when the log holds mostly settled lines and is worth rewriting. */
  get wantsCompaction(): boolean { return this.deadLines > 5000 && Date.now() >= this.compactNotBefore; }

  /**
   * Rewrites the log with the journal keys newer than keepMs and every pending message.
   * Older journal entries are forgotten: such an image is not redone unless it changes,
   * because the catch-up scan only looks at files newer than the oldest key kept (see
   * the daemon), and a changed file has a new key anyway. A failure (disk full) leaves the
   * old log in place and returns null; it is tried again a minute later at the earliest.
   */
  compact(keepMs: number): { kept: number; dropped: number } | null {
    if (this.unwrittenAcks.length && !this.flushAcks()) { this.compactNotBefore = Date.now() + COMPACT_RETRY_MS; return null; }
    const cutoff = Date.now() - keepMs;
    const keep = [...this.done].filter(([, e]) => e.at >= cutoff);
    const lines: Line[] = [{ t: 'seq', next: this.seqReserved }];
    for (const [key, e] of keep) lines.push({ t: 'img', key, at: e.at, msgs: [], ...(e.retry ? { retry: e.retry } : {}) });
    for (const [key, n] of this.runs) lines.push({ t: 'run', key, n });
    for (const [key, ids] of this.reuse) lines.push({ t: 'reuse', key, ids });
    const msgs = [...this.pending.values()];
    if (msgs.length) lines.push({ t: 'msg', msgs });
    const data = Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const tmp = this.file + '.tmp';
    try {
      const fd = this.files.open(tmp, 'w');
      try { this.writeAll(fd, data); this.files.fsync(fd); } finally { this.files.close(fd); }
      this.files.rename(tmp, this.file);
    } catch (err) {
      try { this.files.unlink(tmp); } catch { /* never created */ }
      this.compactNotBefore = Date.now() + COMPACT_RETRY_MS;
      this.log.warn('state compaction failed; the log stays as it was', { error: (err as Error).message });
      return null;
    }
    this.syncDir();
    const dropped = this.done.size - keep.length;
    this.done.clear();
    for (const [k, e] of keep) this.done.set(k, e);
    this.files.close(this.fd);
    this.fd = this.files.open(this.file, 'a');
    this.size = data.length;
    this.torn = false;
    this.deadLines = 0;
    this.log.info('state compacted', { journal: this.done.size, dropped, outbox: this.pending.size });
    return { kept: this.done.size, dropped };
  }

  close(): void {
    if (this.unwrittenAcks.length) this.flushAcks();
    this.files.close(this.fd);
  }

  private tryDue(): boolean { return Date.now() >= this.nextTryAt; }

  /** Writes, syncs and removes a scratch file of n bytes next to the log; the error when it does not fit. */
  private roomFor(n: number): NodeJS.ErrnoException | null {
    const scratch = this.file + '.probe';
    try {
      const fd = this.files.open(scratch, 'w');
      try { this.writeAll(fd, Buffer.alloc(n, 32)); this.files.fsync(fd); } finally { this.files.close(fd); }
      return null;
    } catch (err) {
      return err as NodeJS.ErrnoException;
    } finally {
      try { this.files.unlink(scratch); } catch { /* never created */ }
    }
  }

  private flushAcks(): boolean {
    const ids = this.unwrittenAcks.splice(0);
    try {
      this.append({ t: 'ack', ids });
      this.deadLines += ids.length;
      return true;
    } catch {
      this.unwrittenAcks.unshift(...ids);
      return false;
    }
  }

  private append(line: Line): void {
    try {
      if (this.torn) { try { this.cutBack(); } catch { /* still there: written after, on a fresh line */ } }
      // A torn tail we could not cut off: start on a fresh line so this one stays readable.
      const torn = this.torn;
      const data = Buffer.from((torn ? '\n' : '') + JSON.stringify(line) + '\n');
      this.writeAll(this.fd, data);
      this.files.datasync(this.fd);
      // After a tail of unknown length, the file itself says where the last complete line ends.
      this.size = torn ? this.files.size(this.fd) : this.size + data.length;
      this.torn = false;
    } catch (err) {
      this.torn = true;
      try { this.cutBack(); } catch { /* stays torn; the next write starts a fresh line */ }
      throw this.failed(err as NodeJS.ErrnoException, JSON.stringify(line).length + 1);
    }
    if (this.failure) this.healed();
  }

  private cutBack(): void {
    this.files.truncate(this.fd, this.size);
    this.torn = false;
  }

  private writeAll(fd: number, data: Buffer): void {
    for (let off = 0; off < data.length;) off += this.files.write(fd, data.subarray(off));
  }

  private failed(err: NodeJS.ErrnoException, bytes: number): StateWriteError {
    const code = err.code ?? 'EIO';
    const error = err.message;
    if (!this.failure) {
      this.failure = { since: Date.now(), error, code, bytes };
      this.log.error('state write failed: pausing intake until writes succeed (nothing is lost; images wait on disk)', { file: this.file, code, error });
      this.backoffMs = BACKOFF_MIN_MS;
    } else {
      this.failure.error = error;
      this.failure.bytes = Math.max(this.failure.bytes, bytes);
      this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
    }
    this.nextTryAt = Date.now() + this.backoffMs;
    return new StateWriteError(code, `state: cannot write ${this.file}: ${error}`);
  }

  private healed(): void {
    const f = this.failure!;
    this.failure = null;
    this.recovered = { since: f.since, until: Date.now(), error: f.error, code: f.code };
    this.log.info('state writes succeed again; resuming', { file: this.file, failed_for_s: Math.round((Date.now() - f.since) / 1000) });
    if (this.unwrittenAcks.length) this.flushAcks();
  }

  /** fsync the directory so the rename itself survives a power cut. */
  private syncDir(): void {
    try { const fd = this.files.open(dirname(this.file), 'r'); try { this.files.fsync(fd); } finally { this.files.close(fd); } } catch { /* not supported everywhere */ }
  }

  private load(): void {
    if (!existsSync(this.file)) return;
    const text = readFileSync(this.file, 'utf8');
    // A crash mid-write leaves a torn last line: cut it off so the next append starts clean.
    // Its line never finished, so nothing in it was ever published.
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) {
      this.log.warn('state log ended in a partial line (crash during write); discarding it', { bytes: text.length - end });
      truncateSync(this.file, end);
    }
    const bad: LoadReport['badLines'] = [];
    const named: { topic: string; msg_id: string; key: string }[] = [];
    const namedKeys = new Set<string>();
    text.slice(0, end).split('\n').forEach((raw, i) => {
      if (!raw) return;
      const parsed = parseStateLine(raw);
      if (typeof parsed !== 'string') { this.apply(parsed); return; }
      // Perhaps a torn fragment glued to a good line by an older agent: keep the good part.
      const s = salvageLine(raw);
      if (s.rest) this.apply(s.rest);
      bad.push({ line: i + 1, reason: parsed, keys: s.keys });
      for (const k of s.keys) namedKeys.add(k);
      for (const m of s.msgs) named.push({ ...m, key: s.keys[0] ?? '' });
    });
    if (bad.length) this.reportBad(bad, namedKeys, named);
    this.seq = Math.max(this.seq, this.seqReserved);
    this.log.info('state loaded', { file: this.file, bytes: statSync(this.file).size, journal: this.done.size, outbox: this.pending.size, next_seq: this.seq, crash_marks: this.runs.size });
  }

  private reportBad(bad: LoadReport['badLines'], namedKeys: Set<string>, named: { topic: string; msg_id: string; key: string }[]): void {
    const redone = [...namedKeys].filter((k) => !this.done.has(k));
    for (const m of named) {
      if (!m.key || this.done.has(m.key) || this.pending.has(m.msg_id)) continue;
      const list = this.reuse.get(m.key) ?? [];
      if (!list.some((x) => x.msg_id === m.msg_id)) list.push({ topic: m.topic, msg_id: m.msg_id });
      this.reuse.set(m.key, list);
    }
    // A lost seq reservation could let numbers repeat: jump a block ahead (a gap, never a repeat).
    this.seqReserved += SEQ_BLOCK;
    const blind = bad.filter((b) => b.keys.length === 0).length;
    this.loadReport = { badLines: bad, redone };
    this.log.warn('state log: unreadable or malformed lines skipped', {
      file: this.file, count: bad.length, lines: bad.slice(0, 50),
      redone, // images only a bad line recorded: processed again at catch-up, under the msg_ids it named
      reused_msg_ids: [...this.reuse.values()].reduce((n, l) => n + l.length, 0),
      without_key: blind, // lines with no readable image key: what they recorded (an ack, a digest, an image) is unknown
    });
  }

  private apply(line: Line): void {
    switch (line.t) {
      case 'img':
        this.done.set(line.key, line.retry ? { at: line.at, retry: line.retry } : { at: line.at });
        this.runs.delete(line.key);
        this.reuse.delete(line.key);
        if (line.from !== undefined) this.runs.delete(line.from);
        for (const m of line.msgs) this.addLoaded(m);
        break;
      case 'msg':
        for (const m of line.msgs) this.addLoaded(m);
        break;
      case 'ack':
        for (const id of line.ids) this.pending.delete(id);
        this.deadLines += line.ids.length;
        break;
      case 'seq':
        this.seqReserved = Math.max(this.seqReserved, line.next);
        break;
      case 'run':
        this.runs.set(line.key, (this.runs.get(line.key) ?? 0) + (line.n ?? 1));
        break;
      case 'left':
        this.runs.delete(line.key);
        break;
      case 'reuse':
        if (!this.done.has(line.key)) this.reuse.set(line.key, line.ids);
        break;
    }
  }

  private addLoaded(m: OutMsg): void {
    this.pending.set(m.msg_id, m);
    this.seq = Math.max(this.seq, m.seq + 1);
  }
}
