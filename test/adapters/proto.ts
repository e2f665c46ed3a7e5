/**
 * A minimal protobuf encoder for tests: builds ONNX ModelProto bytes by hand so the reader
 * is checked against bytes whose content we wrote ourselves (not only against torch's output).
 */
const enc = new TextEncoder();

export function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 128) { out.push((n % 128) | 128); n = Math.floor(n / 128); }
  out.push(n);
  return out;
}

export const tag = (field: number, wire: number): number[] => varint(field * 8 + wire);
export const vfield = (field: number, v: number): number[] => [...tag(field, 0), ...varint(v)];
export function lfield(field: number, body: number[] | string): number[] {
  const bytes = typeof body === 'string' ? [...enc.encode(body)] : body;
  return [...tag(field, 2), ...varint(bytes.length), ...bytes];
}

/** ModelProto with ir_version 8, the given opsets, a graph of (domain, op_type) nodes and metadata. */
export function modelProto(opts: { opsets?: [string, number][]; nodes?: [string, string][]; metadata?: [string, string][]; graph?: boolean }): Uint8Array {
  const bytes: number[] = [...vfield(1, 8), ...lfield(2, 'hand-made')];
  for (const [d, v] of opts.opsets ?? [['', 13]]) bytes.push(...lfield(8, [...lfield(1, d), ...vfield(2, v)]));
  if (opts.graph !== false) {
    const nodes = (opts.nodes ?? [['', 'Relu']]).flatMap(([d, op]) => lfield(1, [...lfield(4, op), ...lfield(7, d)]));
    bytes.push(...lfield(7, [...nodes, ...lfield(2, 'g')]));
  }
  for (const [k, v] of opts.metadata ?? []) bytes.push(...lfield(14, [...lfield(1, k), ...lfield(2, v)]));
  return Uint8Array.from(bytes);
}
