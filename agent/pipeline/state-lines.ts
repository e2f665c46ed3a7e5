/**
 * The state log's line shapes, checked field by field at load: a line that is valid JSON but
 * of the wrong shape (hand-edited, written by another version, damaged on disk) is reported
 * and skipped instead of stopping start-up with "line.ids is not iterable" or turning every
 * later sequence number into null. What a bad line still names (image keys, msg_ids) is read
 * out of its text, so the redo it causes can be reported and can reuse the msg_ids.
 */
import type { OutMsg } from './outbox.js';

/** When a journalled error is worth trying again: the config hash, or the file's stamp, it failed under. */
export interface RetryWhen { config?: string; file?: string }

export type Line =
  | { t: 'img'; key: string; at: number; msgs: OutMsg[]; retry?: RetryWhen; from?: string }
  | { t: 'msg'; msgs: OutMsg[] }
  | { t: 'ack'; ids: string[] }
  | { t: 'seq'; next: number }
  | { t: 'run'; key: string; n?: number }
  | { t: 'left'; key: string }
  | { t: 'reuse'; key: string; ids: { topic: string; msg_id: string }[] };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;

/** The line, or why it is not one. */
export function parseStateLine(raw: string): Line | string {
  let v: unknown;
  try { v = JSON.parse(raw); } catch (err) { return `not JSON (${(err as Error).message})`; }
  if (!isObj(v)) return `not an object (${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v})`;
  const why = shapeError(v);
  return why ?? (v as unknown as Line);
}

function shapeError(v: Obj): string | null {
  switch (v.t) {
    case 'img':
      if (!isStr(v.key)) return 'img: key is not a string';
      if (!Number.isFinite(v.at)) return 'img: at is not a number';
      if (v.from !== undefined && !isStr(v.from)) return 'img: from is not a string';
      if (v.retry !== undefined && !retryOk(v.retry)) return 'img: retry is not {config?, file?} of strings';
      return msgsError('img', v.msgs);
    case 'msg':
      return msgsError('msg', v.msgs);
    case 'ack':
      return Array.isArray(v.ids) && v.ids.every(isStr) ? null : 'ack: ids is not a list of strings';
    case 'seq':
      return isCount(v.next) ? null : 'seq: next is not a positive integer';
    case 'run':
      if (!isStr(v.key)) return 'run: key is not a string';
      return v.n === undefined || isCount(v.n) ? null : 'run: n is not a positive integer';
    case 'left':
      return isStr(v.key) ? null : 'left: key is not a string';
    case 'reuse':
      if (!isStr(v.key)) return 'reuse: key is not a string';
      return Array.isArray(v.ids) && v.ids.every((x) => isObj(x) && isStr(x.topic) && isStr(x.msg_id)) ? null : 'reuse: ids is not a list of {topic, msg_id}';
    default:
      return `unknown line type ${JSON.stringify(v.t) ?? 'undefined'}`;
  }
}

function retryOk(r: unknown): boolean {
  return isObj(r) && Object.entries(r).every(([k, x]) => (k === 'config' || k === 'file') && typeof x === 'string');
}

function msgsError(t: string, msgs: unknown): string | null {
  if (!Array.isArray(msgs)) return `${t}: msgs is not a list`;
  for (let i = 0; i < msgs.length; i++) {
    const m: unknown = msgs[i];
    if (!isObj(m)) return `${t}: msgs[${i}] is not an object`;
    if (!isStr(m.topic)) return `${t}: msgs[${i}].topic is not a string`;
    if (!isStr(m.msg_id)) return `${t}: msgs[${i}].msg_id is not a string`;
    if (!isCount(m.seq)) return `${t}: msgs[${i}].seq is not a positive integer`;
    if (!isObj(m.payload)) return `${t}: msgs[${i}].payload is not an object`;
  }
  return null;
}

const KEY_RE = /"key":"((?:[^"\\]|\\.)*)"/g;
// OutMsg is serialised topic first, then msg_id (the payload's own msg_id has no topic before it).
const MSG_RE = /\{"topic":"((?:[^"\\]|\\.)*)","msg_id":"((?:[^"\\]|\\.)*)"/g;

/**
 * What can still be read out of a bad line: a good line glued behind a torn fragment
 * (`rest`), and the image keys and messages (topic, msg_id) named in the damaged part.
 */
export function salvageLine(raw: string): { rest: Line | null; keys: string[]; msgs: { topic: string; msg_id: string }[] } {
  let rest: Line | null = null;
  let damaged = raw;
  for (let at = raw.indexOf('{"t":"', 1); at > 0; at = raw.indexOf('{"t":"', at + 1)) {
    const p = parseStateLine(raw.slice(at));
    if (typeof p !== 'string') { rest = p; damaged = raw.slice(0, at); break; }
  }
  const str = (s: string) => { try { return JSON.parse(`"${s}"`) as string; } catch { return null; } };
  const keys = [...new Set([...damaged.matchAll(KEY_RE)].map((m) => str(m[1]!)).filter((k): k is string => !!k))];
  const msgs = [...damaged.matchAll(MSG_RE)].flatMap((m) => {
    const topic = str(m[1]!);
    const id = str(m[2]!);
    return topic && id ? [{ topic, msg_id: id }] : [];
  });
  return { rest, keys, msgs };
}
