/**
 * Reads what onnxruntime-node does not expose from an ONNX file: ModelProto.metadata_props
 * (field 14: Ultralytics and temguard put names/imgsz/task/adapter there), the opset imports
 * (field 8: caffe2 exports declare their own domain) and the operator domains/types used by the
 * graph (field 7), by walking the protobuf wire format directly (no protobuf dependency).
 */
import { ModelError } from './model-error.js';

export interface OnnxFileInfo {
  irVersion: number;
  producer: string;
  metadata: Record<string, string>;
  /** Opset imports: domain ('' = ai.onnx) -> version. */
  opsets: Record<string, number>;
  /** "domain::op_type" of every node in the main graph (deduplicated). */
  operators: string[];
}

/** A cursor over a protobuf message; throws RangeError on truncation. */
class Reader {
  pos: number;
  constructor(readonly buf: Uint8Array, start = 0, readonly end = buf.length) {
    this.pos = start;
  }
  done(): boolean {
    return this.pos >= this.end;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new RangeError('truncated varint');
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new RangeError('varint too long');
  }
  /** Returns [start, end) of a length-delimited field. */
  bytes(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (start + len > this.end) throw new RangeError('field runs past the end of its message');
    this.pos += len;
    return [start, start + len];
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.advance(8);
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.advance(4);
    else throw new RangeError(`unsupported protobuf wire type ${wire}`);
  }
  private advance(n: number): void {
    if (this.pos + n > this.end) throw new RangeError('truncated fixed field');
    this.pos += n;
  }
}

const decoder = new TextDecoder('utf-8', { fatal: false });
const text = (buf: Uint8Array, [s, e]: [number, number]): string => decoder.decode(buf.subarray(s, e));

/** Iterates the fields of one message, calling `on(field, wire, reader)`; `on` must consume the value. */
function fields(r: Reader, on: (field: number, wire: number) => boolean): void {
  while (!r.done()) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 0) throw new RangeError('field number 0');
    if (!on(field, wire)) r.skip(wire);
  }
}

function stringPair(buf: Uint8Array, range: [number, number], keyField: number, valueField: number): [string, string] {
  const r = new Reader(buf, range[0], range[1]);
  let key = '';
  let value = '';
  fields(r, (f, w) => {
    if (w !== 2 || (f !== keyField && f !== valueField)) return false;
    const s = text(buf, r.bytes());
    if (f === keyField) key = s;
    else value = s;
    return true;
  });
  return [key, value];
}

function opset(buf: Uint8Array, range: [number, number]): [string, number] {
  const r = new Reader(buf, range[0], range[1]);
  let domain = '';
  let version = 0;
  fields(r, (f, w) => {
    if (f === 1 && w === 2) { domain = text(buf, r.bytes()); return true; }
    if (f === 2 && w === 0) { version = r.varint(); return true; }
    return false;
  });
  return [domain, version];
}

/** GraphProto.node (1) -> NodeProto.op_type (4), domain (7). */
function graphOperators(buf: Uint8Array, range: [number, number], out: Set<string>): void {
  const g = new Reader(buf, range[0], range[1]);
  fields(g, (f, w) => {
    if (f !== 1 || w !== 2) return false;
    const [opType, domain] = stringPair(buf, g.bytes(), 4, 7);
    out.add(`${domain}::${opType}`);
    return true;
  });
}

/**
 * Parses the top level of an ONNX ModelProto. Throws ModelError when the bytes are not one
 * (the message names `label`, usually the file path).
 */
export function readOnnxInfo(buf: Uint8Array, label: string): OnnxFileInfo {
  const info: OnnxFileInfo = { irVersion: 0, producer: '', metadata: {}, opsets: {}, operators: [] };
  const ops = new Set<string>();
  let hasGraph = false;
  try {
    const r = new Reader(buf);
    fields(r, (f, w) => {
      if (f === 1 && w === 0) { info.irVersion = r.varint(); return true; }
      if (f === 2 && w === 2) { info.producer = text(buf, r.bytes()); return true; }
      if (f === 7 && w === 2) { hasGraph = true; graphOperators(buf, r.bytes(), ops); return true; }
      if (f === 8 && w === 2) { const [d, v] = opset(buf, r.bytes()); info.opsets[d] = v; return true; }
      if (f === 14 && w === 2) { const [k, v] = stringPair(buf, r.bytes(), 1, 2); info.metadata[k] = v; return true; }
      return false;
    });
  } catch (err) {
    throw new ModelError(`${label} is not a valid ONNX model (${(err as Error).message}); expected an .onnx file exported by torch.onnx, Detectron2 or Ultralytics`);
  }
  if (!hasGraph || info.irVersion === 0) {
    throw new ModelError(`${label} is not an ONNX model (no ir_version/graph found); expected an .onnx file exported by torch.onnx, Detectron2 or Ultralytics`);
  }
  info.operators = [...ops].sort();
  return info;
}
