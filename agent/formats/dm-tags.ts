/**
 * The Gatan DigitalMicrograph (DM3/DM4) tag tree, parsed from a ByteSource.
 * Layout (big-endian structure, data in the file's byte order):
 *   header: version u32 (3|4), root size u32 (DM3) / u64 (DM4), byte order u32 (1 = little)
 *   group:  sorted u8, open u8, tag count u32|u64
 *   tag:    kind u8 (20 group, 21 data), name length u16, name, [DM4: tag size u64]
 *   data:   "%%%%", info length u32|u64, info u32|u64 x n, then the value(s)
 * Arrays are not read here, only located (offset, element type, count), so a tree walk of a
 * multi-gigabyte stack costs kilobytes; the caller reads the one array it wants.
 */
import { DecodeError } from './errors.js';
import type { ByteSource } from './source.js';

export type DmValue = number | string | DmArray | DmGroup | DmStruct;

export interface DmArray { kind: 'array'; elemType: number; count: number; elemSize: number; offset: number }
export interface DmStruct { kind: 'struct'; values: number[] }
export interface DmGroup { kind: 'group'; entries: Array<{ name: string; value: DmValue }> }

/** Sizes of the simple element types (2 i16, 3 i32, 4 u16, 5 u32, 6 f32, 7 f64, 8 bool, 9 i8, 10 u8, 11 i64, 12 u64). */
const SIMPLE_SIZE: Record<number, number> = { 2: 2, 3: 4, 4: 2, 5: 4, 6: 4, 7: 8, 8: 1, 9: 1, 10: 1, 11: 8, 12: 8 };

const MAX_DEPTH = 64;
const MAX_INFO = 1 << 16;
const MAX_TAGS = 1 << 20;

export interface DmFile {
  version: 3 | 4;
  littleEndian: boolean;
  root: DmGroup;
}

class Cursor {
  pos: number;
  constructor(private readonly src: ByteSource, start: number, readonly dm4: boolean, readonly le: boolean) { this.pos = start; }
  bytes(n: number): Buffer { const b = this.src.read(this.pos, n); this.pos += n; return b; }
  u8(): number { return this.bytes(1)[0]!; }
  u16be(): number { return this.bytes(2).readUInt16BE(0); }
  /** A structural count: u32 in DM3, u64 in DM4 (big-endian either way). */
  count(): number {
    if (!this.dm4) return this.bytes(4).readUInt32BE(0);
    const v = this.bytes(8).readBigUInt64BE(0);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError('corrupt', `DM count ${v} is absurd`);
    return Number(v);
  }
  simple(type: number): number {
    const size = SIMPLE_SIZE[type];
    if (!size) throw new DecodeError('corrupt', `DM element type ${type} is unknown`);
    const b = this.bytes(size);
    const le = this.le;
    switch (type) {
      case 2: return le ? b.readInt16LE(0) : b.readInt16BE(0);
      case 3: return le ? b.readInt32LE(0) : b.readInt32BE(0);
      case 4: return le ? b.readUInt16LE(0) : b.readUInt16BE(0);
      case 5: return le ? b.readUInt32LE(0) : b.readUInt32BE(0);
      case 6: return le ? b.readFloatLE(0) : b.readFloatBE(0);
      case 7: return le ? b.readDoubleLE(0) : b.readDoubleBE(0);
      case 8: case 10: return b[0]!;
      case 9: return b.readInt8(0);
      case 11: return Number(le ? b.readBigInt64LE(0) : b.readBigInt64BE(0));
      default: return Number(le ? b.readBigUInt64LE(0) : b.readBigUInt64BE(0));
    }
  }
}

export function parseDm(src: ByteSource): DmFile {
  const head = src.read(0, 4);
  const version = head.readUInt32BE(0);
  if (version !== 3 && version !== 4) throw new DecodeError('corrupt', `DM version ${version} (expected 3 or 4)`);
  const dm4 = version === 4;
  const hdr = new Cursor(src, 4, dm4, false);
  hdr.count(); // root size: not trusted, files being written state the final size
  const order = hdr.bytes(4).readUInt32BE(0);
  if (order > 1) throw new DecodeError('corrupt', `DM byte-order flag ${order}`);
  const cur = new Cursor(src, hdr.pos, dm4, order === 1);
  const budget = { tags: 0 };
  const root = readGroup(cur, 0, budget);
  return { version: dm4 ? 4 : 3, littleEndian: order === 1, root };
}

function readGroup(cur: Cursor, depth: number, budget: { tags: number }): DmGroup {
  if (depth > MAX_DEPTH) throw new DecodeError('corrupt', 'DM tag groups nested too deep');
  cur.u8(); cur.u8(); // sorted, open
  const n = cur.count();
  budget.tags += n;
  if (budget.tags > MAX_TAGS) throw new DecodeError('corrupt', `DM tag tree claims more than ${MAX_TAGS} tags`);
  const entries: DmGroup['entries'] = [];
  for (let i = 0; i < n; i++) {
    const kind = cur.u8();
    const nameLen = cur.u16be();
    const name = cur.bytes(nameLen).toString('latin1');
    if (cur.dm4) cur.count(); // tag size: we compute sizes ourselves
    if (kind === 20) entries.push({ name, value: readGroup(cur, depth + 1, budget) });
    else if (kind === 21) entries.push({ name, value: readData(cur) });
    else if (kind === 0 && i === n - 1) break;
    else throw new DecodeError('corrupt', `DM tag kind ${kind} at byte ${cur.pos - 3 - nameLen}`);
  }
  return { kind: 'group', entries };
}

function readData(cur: Cursor): DmValue {
  const magic = cur.bytes(4).toString('latin1');
  if (magic !== '%%%%') throw new DecodeError('corrupt', `DM data tag without %%%% at byte ${cur.pos - 4}`);
  const n = cur.count();
  if (n < 1 || n > MAX_INFO) throw new DecodeError('corrupt', `DM data tag with ${n} info words`);
  const info: number[] = [];
  for (let i = 0; i < n; i++) info.push(cur.count());
  const type = info[0]!;
  if (SIMPLE_SIZE[type]) return cur.simple(type);
  if (type === 18) { // string: u16 characters
    const len = info[1] ?? 0;
    return decodeUtf16(cur.bytes(len * 2), cur.le);
  }
  if (type === 15) return { kind: 'struct', values: readStruct(cur, info, 1).values };
  if (type === 20) return readArray(cur, info);
  throw new DecodeError('corrupt', `DM data type ${type} is unknown`);
}

/** Struct info: [15, nameLen, nFields, (nameLen, type) x nFields] starting at info[at]. */
function structLayout(info: number[], at: number): { types: number[]; size: number; words: number } {
  const nFields = info[at + 2];
  if (info[at] !== 15 || nFields === undefined || nFields > 4096) throw new DecodeError('corrupt', 'DM struct layout is malformed');
  const types: number[] = [];
  let size = 0;
  for (let f = 0; f < nFields; f++) {
    const t = info[at + 4 + 2 * f];
    const s = t === undefined ? undefined : SIMPLE_SIZE[t];
    if (!s) throw new DecodeError('corrupt', `DM struct field type ${t}`);
    types.push(t!);
    size += s;
  }
  return { types, size, words: 3 + 2 * nFields };
}

function readStruct(cur: Cursor, info: number[], at: number): { values: number[] } {
  const { types } = structLayout(info, at - 1);
  return { values: types.map((t) => cur.simple(t)) };
}

function readArray(cur: Cursor, info: number[]): DmValue {
  const elemType = info[1];
  let elemSize: number;
  let count: number;
  if (elemType === 15) {
    const layout = structLayout(info, 1);
    elemSize = layout.size;
    count = info[1 + layout.words] ?? -1;
  } else if (elemType !== undefined && SIMPLE_SIZE[elemType]) {
    elemSize = SIMPLE_SIZE[elemType]!;
    count = info[2] ?? -1;
  } else {
    throw new DecodeError('corrupt', `DM array of element type ${elemType}`);
  }
  if (count < 0) throw new DecodeError('corrupt', 'DM array without a length');
  const bytes = elemSize * count;
  const offset = cur.pos;
  cur.pos += bytes;
  return { kind: 'array', elemType: elemType!, count, elemSize, offset };
}

/** Text of a tag that is a string or a u16 array (how DM stores Units and Names). */
export function textOf(src: ByteSource, v: DmValue | undefined, le: boolean): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && v.kind === 'array' && (v.elemType === 4 || v.elemType === 10) && v.count <= 4096) {
    const b = src.read(v.offset, v.count * v.elemSize);
    return v.elemType === 4 ? decodeUtf16(b, le) : b.toString('latin1');
  }
  return undefined;
}

function decodeUtf16(b: Buffer, le: boolean): string {
  let s = '';
  for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode(le ? b.readUInt16LE(i) : b.readUInt16BE(i));
  return s;
}

/** Lookup helpers over the tree: by name, or the i-th unnamed entry of a list group. */
export function child(g: DmValue | undefined, name: string): DmValue | undefined {
  if (!g || typeof g !== 'object' || g.kind !== 'group') return undefined;
  return g.entries.find((e) => e.name === name)?.value;
}

export function path(g: DmValue | undefined, ...names: string[]): DmValue | undefined {
  let v = g;
  for (const n of names) v = child(v, n);
  return v;
}

export function items(g: DmValue | undefined): DmValue[] {
  if (!g || typeof g !== 'object' || g.kind !== 'group') return [];
  return g.entries.map((e) => e.value);
}
