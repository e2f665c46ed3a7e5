/**
 * The state log under faults: a full or failing filesystem (a real tmpfs where the machine
 * lets us mount one, else a write failure injected through the store's file dependency),
 * lines of the wrong shape, garbage over an image line, and crash marks.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { appendFileSync, closeSync, fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateStore, StateWriteError, type OutMsg, type StateFiles } from '../../agent/pipeline/outbox.js';
import { createLogger, silentLogger } from '../../agent/log.js';

const dir = () => mkdtempSync(join(tmpdir(), 'tg-statef-'));
const msg = (store: StateStore, id: string): OutMsg => ({ topic: 'result', msg_id: id, seq: store.nextSeq(), payload: { id } });
const capture = () => {
  const lines: Record<string, any>[] = [];
  return { lines, log: createLogger({ write: (l) => lines.push(JSON.parse(l)) }) };
};
const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

/** node:fs, with switches that make writes (or truncation, or renames) fail the way a full disk does. */
function faultyFiles() {
  const f = { failWrites: false, halfWrite: false, failTruncate: false, failRename: false };
  const files: StateFiles = {
    open: (p, flags) => openSync(p, flags),
    write: (fd, b) => {
      if (f.failWrites) {
        // A full disk often takes part of the line before refusing the rest: that is the torn line.
        if (f.halfWrite) writeSync(fd, b.subarray(0, Math.floor(b.length / 2)));
        throw enospc();
      }
      return writeSync(fd, b);
    },
    datasync: (fd) => fdatasyncSync(fd),
    fsync: (fd) => fsyncSync(fd),
    truncate: (fd, len) => { if (f.failTruncate) throw enospc(); ftruncateSync(fd, len); },
    size: (fd) => fstatSync(fd).size,
    close: (fd) => closeSync(fd),
    rename: (a, b) => { if (f.failRename) throw enospc(); renameSync(a, b); },
    unlink: (p) => unlinkSync(p),
  };
  return { f, files };
}

test('a write refused half-way leaves no torn line: the next image stays readable, nothing is published twice', (t) => {
  const d = dir();
  const { f, files } = faultyFiles();
  const s = StateStore.open(d, silentLogger, files);
  s.recordImage('a|1|1', [msg(s, 'm1')]);
  f.failWrites = true; f.halfWrite = true; f.failTruncate = true; // worst case: the torn half cannot even be cut off
  const m2 = msg(s, 'm2'); // the seq reservation is ahead of use, so a number is still handed out
  t.throws(() => s.recordImage('b|1|1', [m2]), { instanceOf: StateWriteError, message: /ENOSPC/ });
  t.false(s.isDone('b|1|1'), 'not journalled, so not done');
  t.deepEqual([...s.outboxValues()].map((m) => m.msg_id), ['m1'], 'and its message never entered the outbox (never published)');
  t.regex(s.writeError ?? '', /ENOSPC/);
  f.failWrites = false; // the torn half still cannot be cut off: c starts on a fresh line after it
  s.recordImage('c|1|1', [msg(s, 'm3')]);
  t.is(s.writeError, null, 'healthy again after a write succeeded');
  f.failWrites = true; f.failTruncate = false; // a later half-written line is cut back to the end of c's line, not into it
  t.throws(() => s.recordImage('d|1|1', []), { instanceOf: StateWriteError });
  f.failWrites = false; f.halfWrite = false;
  s.close();
  const s2 = StateStore.open(d, silentLogger);
  t.true(s2.isDone('a|1|1'));
  t.true(s2.isDone('c|1|1'), 'the line after the torn one was not merged into it');
  t.false(s2.isDone('b|1|1'));
  t.deepEqual([...s2.outboxValues()].map((m) => m.msg_id), ['m1', 'm3']);
  s2.close();
});

test('an ack that cannot be written never throws; it is written once writes succeed again', (t) => {
  const d = dir();
  const { f, files } = faultyFiles();
  const s = StateStore.open(d, silentLogger, files);
  s.recordImage('a|1|1', [msg(s, 'm1'), msg(s, 'm2')]);
  f.failWrites = true;
  t.notThrows(() => s.ack(['m1']));
  t.is(s.outboxDepth, 1, 'acknowledged in memory: not sent again now');
  t.truthy(s.writeError);
  f.failWrites = false;
  t.true(s.retryWrites(true));
  t.is(s.writeError, null);
  const outage = s.takeRecovery();
  t.truthy(outage);
  t.regex(outage!.error, /ENOSPC/);
  s.close();
  const s2 = StateStore.open(d, silentLogger);
  t.deepEqual([...s2.outboxValues()].map((m) => m.msg_id), ['m2'], 'the buffered ack reached the log');
  s2.close();
});

test('compaction that cannot write its new file leaves the log as it was and is not fatal', (t) => {
  const d = dir();
  const { f, files } = faultyFiles();
  const s = StateStore.open(d, silentLogger, files);
  s.recordImage('a|1|1', [msg(s, 'm1')]);
  s.ack(['m1']);
  const before = readFileSync(join(d, 'state.jsonl'), 'utf8');
  f.failRename = true;
  t.is(s.compact(0), null);
  t.is(readFileSync(join(d, 'state.jsonl'), 'utf8'), before);
  f.failRename = false;
  s.recordImage('b|1|1', []);
  s.close();
  const s2 = StateStore.open(d, silentLogger);
  t.true(s2.isDone('a|1|1'));
  t.true(s2.isDone('b|1|1'));
  s2.close();
});

/** Mounts a tiny tmpfs (needs root and a kernel that allows it); null when the machine does not. */
function tinyTmpfs(): string | null {
  const mnt = mkdtempSync(join(tmpdir(), 'tg-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { stdio: 'ignore' });
    return mnt;
  } catch {
    rmSync(mnt, { recursive: true, force: true });
    return null;
  }
}

/** Whether this machine lets us mount a tmpfs (root, no container restriction); else the test is skipped. */
const canMount = (() => { const m = tinyTmpfs(); if (m) { execFileSync('umount', [m]); rmSync(m, { recursive: true, force: true }); } return m !== null; })();
const tmpfsTest = canMount ? test.serial : test.serial.skip; // skipped: mounting a tmpfs needs root

tmpfsTest('a really full filesystem (tmpfs): no exception escapes ack, intake can tell, writes resume when space returns', (t) => {
  const mnt = tinyTmpfs()!;
  try {
    const d = join(mnt, 'state');
    mkdirSync(d);
    const s = StateStore.open(d, silentLogger);
    s.recordImage('a|1|1', [msg(s, 'm1'), msg(s, 'm2')]);
    // Fill the filesystem to the last byte.
    const filler = join(mnt, 'filler');
    const fd = openSync(filler, 'w');
    const chunk = Buffer.alloc(4096, 120);
    try { for (;;) writeSync(fd, chunk); } catch { /* full */ }
    try { for (;;) writeSync(fd, chunk.subarray(0, 1)); } catch { /* to the byte */ }
    closeSync(fd);
    const big = { blob: 'x'.repeat(8192) };
    t.throws(() => s.recordImage('b|1|1', [{ topic: 'result', msg_id: 'm3', seq: s.nextSeq(), payload: big }]), { instanceOf: StateWriteError, message: /ENOSPC/ });
    t.regex(s.writeError ?? '', /ENOSPC/, 'the store says why, for the status');
    // A short ack line may still fit in the log's last page; either way it must not throw.
    t.notThrows(() => s.ack(['m1']));
    t.false(s.retryWrites(true), 'still full: the probe needs room for a real line, not just a short one');
    t.truthy(s.writeError);
    unlinkSync(filler);
    t.true(s.retryWrites(true), 'space is back');
    s.recordImage('c|1|1', [{ topic: 'result', msg_id: 'm4', seq: s.nextSeq(), payload: big }]);
    s.close();
    const s2 = StateStore.open(d, silentLogger);
    t.false(s2.isDone('b|1|1'));
    t.true(s2.isDone('c|1|1'));
    t.deepEqual([...s2.outboxValues()].map((m) => m.msg_id), ['m2', 'm4']);
    t.is(s2.loadReport.badLines.length, 0, 'no torn or merged line in the log');
    s2.close();
  } finally {
    execFileSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
});

test('lines of the wrong shape are reported by line number and skipped; start-up goes on and seq stays a number', (t) => {
  const d = dir();
  const s = StateStore.open(d, silentLogger);
  s.recordImage('a|1|1', [msg(s, 'm1')]);
  s.close();
  appendFileSync(join(d, 'state.jsonl'), [
    '{"t":"ack","ids":null}',
    '{"t":"img","key":"x|1|1","at":1,"msgs":[{"topic":"result","msg_id":"mx","seq":null,"payload":{}}]}',
    'null',
    '42',
    '{"t":"seq","next":"soon"}',
    '{"t":"mystery"}',
    '{"t":"img","key":"b|1|1","at":2,"msgs":[]}',
  ].join('\n') + '\n');
  const { lines, log } = capture();
  const s2 = StateStore.open(d, log);
  t.true(s2.isDone('a|1|1'));
  t.true(s2.isDone('b|1|1'));
  t.deepEqual(s2.loadReport.badLines.map((b) => b.line), [3, 4, 5, 6, 7, 8]);
  t.regex(s2.loadReport.badLines[0]!.reason, /ids/);
  t.regex(s2.loadReport.badLines[1]!.reason, /seq/);
  const seq = s2.nextSeq();
  t.true(Number.isSafeInteger(seq) && seq > 1);
  const warn = lines.find((l) => l.level === 'warn' && /skipped/.test(l.msg));
  t.truthy(warn, 'one clear warning');
  t.deepEqual(warn!.lines.map((b: { line: number }) => b.line), [3, 4, 5, 6, 7, 8]);
  t.true(warn!.redone.includes('x|1|1'), 'it says which image is redone');
  s2.close();
});

test('garbage over an image line: reported, and the image is redone under the msg_id it had', (t) => {
  const d = dir();
  const s = StateStore.open(d, silentLogger);
  s.recordImage('a|1|1', [msg(s, 'keep-1')]);
  s.recordImage('b|1|1', [msg(s, 'orig-b')]);
  s.ack(['orig-b']); // published and acknowledged: a redo under a new id would be a duplicate downstream
  s.close();
  const file = join(d, 'state.jsonl');
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf('"key":"b|1|1"');
  // Bytes scribbled over the start of b's line (a bad sector, an editor): not JSON any more.
  writeFileSync(file, text.slice(0, at - 6) + '\u0000\u0000#@!' + text.slice(at - 3));
  const { lines, log } = capture();
  const s2 = StateStore.open(d, log);
  t.false(s2.isDone('b|1|1'));
  t.deepEqual(s2.reusableIds('b|1|1'), [{ topic: 'result', msg_id: 'orig-b' }]);
  t.true(s2.isDone('a|1|1'));
  const warn = lines.find((l) => l.level === 'warn' && /skipped/.test(l.msg));
  t.truthy(warn);
  t.deepEqual(warn!.lines[0].keys, ['b|1|1']);
  t.true(warn!.redone.includes('b|1|1'));
  s2.compact(60_000); // the damaged line is gone from the log now; what it named is not
  s2.close();
  const s3 = StateStore.open(d, silentLogger);
  t.deepEqual(s3.reusableIds('b|1|1'), [{ topic: 'result', msg_id: 'orig-b' }]);
  s3.recordImage('b|1|1', []);
  s3.compact(60_000);
  s3.close();
  t.deepEqual(StateStore.open(d, silentLogger).reusableIds('b|1|1'), [], 'and forgotten once the image is redone');
});

test('a torn fragment glued to the next line (written by an older agent) keeps the next line', (t) => {
  const d = dir();
  writeFileSync(join(d, 'state.jsonl'), '{"t":"seq","next":1000}\n{"t":"img","key":"a|1|1","at":1,"ms' + '{"t":"img","key":"b|1|1","at":2,"msgs":[]}\n');
  const s = StateStore.open(d, silentLogger);
  t.true(s.isDone('b|1|1'));
  t.false(s.isDone('a|1|1'));
  t.deepEqual(s.loadReport.badLines.map((b) => b.keys), [['a|1|1']]);
  s.close();
});

test('crash marks: an image in flight at two starts counts two; finishing or leaving it clears the count', (t) => {
  const d = dir();
  const s1 = StateStore.open(d, silentLogger);
  s1.markRunning('a|1|1');
  s1.markRunning('a|1|1'); // a retry in the same run is not a second crash
  s1.markRunning('b|1|1');
  // crash: no close
  const s2 = StateStore.open(d, silentLogger);
  t.is(s2.unfinishedRuns('a|1|1'), 1);
  s2.markRunning('a|1|1');
  s2.markRunning('c|1|1');
  s2.markLeft('c|1|1'); // a clean stop gave it up: not a crash
  const s3 = StateStore.open(d, silentLogger);
  t.is(s3.unfinishedRuns('a|1|1'), 2);
  t.is(s3.unfinishedRuns('b|1|1'), 1);
  t.is(s3.unfinishedRuns('c|1|1'), 0);
  s3.recordImage('b|1|1', []);
  s3.compact(60_000);
  s3.close();
  const s4 = StateStore.open(d, silentLogger);
  t.is(s4.unfinishedRuns('a|1|1'), 2, 'compaction keeps the marks');
  t.is(s4.unfinishedRuns('b|1|1'), 0);
  s4.close();
});

test('a journalled error that a config or file change can fix keeps its retry condition across reopen and compaction', (t) => {
  const d = dir();
  const s = StateStore.open(d, silentLogger);
  s.recordImage('a|1|1', [], { retry: { config: 'abc' } });
  s.recordImage('b|1|1', [], { retry: { file: '33188|0|0' } });
  s.recordImage('c|1|1', []);
  s.compact(60_000);
  s.close();
  const s2 = StateStore.open(d, silentLogger);
  t.deepEqual(s2.doneEntry('a|1|1')?.retry, { config: 'abc' });
  t.deepEqual(s2.doneEntry('b|1|1')?.retry, { file: '33188|0|0' });
  t.is(s2.doneEntry('c|1|1')?.retry, undefined);
  s2.close();
});
