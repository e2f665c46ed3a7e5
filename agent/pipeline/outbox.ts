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
 *   {"t":"img","key":K,"at":ms,"msgs":[M...]}  image done; its messages enter the outbox
 *   {"t":"msg","msgs":[M...]}                   messages not tied to an image (digest)
 *   {"t":"ack","ids":[msg_id...]}               broker acknowledged these
 *   {"t":"seq","next":N}                        sequence numbers reserved up to N
 * Compaction rewrites the file (tmp + fsync + rename) with only what is still needed.
 */
import { closeSync, existsSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';

/** One message waiting for the broker: topic name under the instrument root, and the full payload. */
export interface OutMsg {
  topic: string;
  msg_id: string;
  seq: number;
  payload: Record<string, unknown>;
}

type Line =
  | { t: 'img'; key: string; at: number; msgs: OutMsg[] }
  | { t: 'msg'; msgs: OutMsg[] }
  | { t: 'ack'; ids: string[] }
  | { t: 'seq'; next: number };

const SEQ_BLOCK = 1000;

export class StateStore {
  private fd: number;
  private readonly done = new Map<string, number>(); // key -> processed at (ms)
  private readonly pending = new Map<string, OutMsg>(); // msg_id -> message, insertion = publish order
  private seq = 1;
  private seqReserved = 0;
  private deadLines = 0;
  readonly file: string;

  private constructor(dir: string, private readonly log: Logger) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'state.jsonl');
    this.load();
    this.fd = openSync(this.file, 'a');
  }

  static open(dir: string, log: Logger): StateStore {
    return new StateStore(dir, log);
  }

  isDone(key: string): boolean { return this.done.has(key); }
  get doneCount(): number { return this.done.size; }
  get outboxDepth(): number { return this.pending.size; }
  /** Unacknowledged messages in the order they were stored (a live iterator: no copy per pump). */
  outboxValues(): IterableIterator<OutMsg> { return this.pending.values(); }

  /** Next sequence number; reserves blocks durably so numbers never repeat across restarts. */
  nextSeq(): number {
    if (this.seq >= this.seqReserved) {
      this.seqReserved = this.seq + SEQ_BLOCK;
      this.append({ t: 'seq', next: this.seqReserved });
    }
    return this.seq++;
  }

  /** Marks an image done and stores its messages, atomically (one fsynced line). */
  recordImage(key: string, msgs: OutMsg[]): void {
    const at = Date.now();
    this.append({ t: 'img', key, at, msgs });
    this.done.set(key, at);
    for (const m of msgs) this.pending.set(m.msg_id, m);
  }

  recordMessages(msgs: OutMsg[]): void {
    this.append({ t: 'msg', msgs });
    for (const m of msgs) this.pending.set(m.msg_id, m);
  }

  ack(ids: string[]): void {
    const known = ids.filter((id) => this.pending.delete(id));
    if (known.length === 0) return;
    this.append({ t: 'ack', ids: known });
    this.deadLines += known.length;
  }

  /** True when the log holds mostly settled lines and is worth rewriting. */
  get wantsCompaction(): boolean { return this.deadLines > 5000; }

  /**
   * Rewrites the log with the journal keys newer than keepMs and every pending message.
   * Older journal entries are forgotten: such an image is not redone unless it changes,
   * because the catch-up scan only looks at files newer than the oldest key kept (see
   * the daemon), and a changed file has a new key anyway.
   */
  compact(keepMs: number): { kept: number; dropped: number } {
    const cutoff = Date.now() - keepMs;
    let dropped = 0;
    for (const [k, at] of this.done) if (at < cutoff) { this.done.delete(k); dropped++; }
    const lines: Line[] = [{ t: 'seq', next: this.seqReserved }];
    for (const [key, at] of this.done) lines.push({ t: 'img', key, at, msgs: [] });
    const msgs = [...this.pending.values()];
    if (msgs.length) lines.push({ t: 'msg', msgs });
    const tmp = this.file + '.tmp';
    const fd = openSync(tmp, 'w');
    writeSync(fd, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    fsyncSync(fd);
    closeSync(fd);
    closeSync(this.fd);
    renameSync(tmp, this.file);
    this.fd = openSync(this.file, 'a');
    this.deadLines = 0;
    this.log.info('state compacted', { journal: this.done.size, dropped, outbox: this.pending.size });
    return { kept: this.done.size, dropped };
  }

  close(): void {
    closeSync(this.fd);
  }

  private append(line: Line): void {
    writeSync(this.fd, JSON.stringify(line) + '\n');
    fdatasyncSync(this.fd);
  }

  private load(): void {
    if (!existsSync(this.file)) return;
    const text = readFileSync(this.file, 'utf8');
    // A crash mid-write leaves a torn last line: cut it off so the next append starts clean.
    const end = text.lastIndexOf('\n') + 1;
    if (end < text.length) {
      this.log.warn('state log ended in a partial line (crash during write); discarding it', { bytes: text.length - end });
      truncateSync(this.file, end);
    }
    let bad = 0;
    for (const raw of text.slice(0, end).split('\n')) {
      if (!raw) continue;
      let line: Line;
      try { line = JSON.parse(raw) as Line; } catch { bad++; continue; }
      this.apply(line);
    }
    if (bad) this.log.warn('state log had unreadable lines; skipped', { lines: bad });
    this.seq = Math.max(this.seq, this.seqReserved);
    this.log.info('state loaded', { file: this.file, bytes: statSync(this.file).size, journal: this.done.size, outbox: this.pending.size, next_seq: this.seq });
  }

  private apply(line: Line): void {
    switch (line.t) {
      case 'img':
        this.done.set(line.key, line.at);
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
    }
  }

  private addLoaded(m: OutMsg): void {
    this.pending.set(m.msg_id, m);
    this.seq = Math.max(this.seq, m.seq + 1);
  }
}
