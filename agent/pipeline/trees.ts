/**
 * The in-memory and on-disk form of a regression forest: every node of every tree in flat
 * typed arrays, so prediction is a few array reads per level and the JSON file stays small
 * (ml-random-forest's nested-object JSON was 14 MB for 833 rows; this is 7 bytes a node).
 *
 * Node i of a forest: feature[i] < 0 marks a leaf whose prediction is value[i]; otherwise
 * the sample goes to node i+1 (left, preorder) when x[feature[i]] <= value[i], else to
 * node right[i]. Tree t starts at node offsets[t]. Thresholds and inputs are float32 on
 * both sides (training rounds its inputs the same way), so a model read back from JSON
 * predicts bit-for-bit what it predicted when trained.
 */

export interface FlatForest {
  /** offsets[t] = first node of tree t; length = number of trees. */
  offsets: Int32Array;
  feature: Int8Array;
  value: Float32Array;
  right: Int32Array;
}

/**
 * JSON form: base64 of the little-endian bytes of each array; `right` is stored as a uint16
 * forward jump (right[i] - i, 0 for a leaf), which always fits because a right child lies
 * inside its own tree.
 */
export interface EncodedForest {
  trees: number;
  nodes: number;
  offsets: string;
  feature: string;
  value: string;
  right: string;
}

/** Mean of the trees' predictions for one already-scaled float32 feature vector. */
export function predictFlat(f: FlatForest, x: Float32Array): number {
  const { offsets, feature, value, right } = f;
  let sum = 0;
  for (let t = 0; t < offsets.length; t++) {
    let i = offsets[t]!;
    let k = feature[i]!;
    while (k >= 0) {
      i = x[k]! <= value[i]! ? i + 1 : right[i]!;
      k = feature[i]!;
    }
    sum += value[i]!;
  }
  return sum / offsets.length;
}

function b64(a: ArrayBufferView): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function encodeForest(f: FlatForest): EncodedForest {
  const jump = new Uint16Array(f.feature.length);
  for (let i = 0; i < jump.length; i++) {
    if (f.feature[i]! < 0) continue;
    const d = f.right[i]! - i;
    if (d <= 0 || d > 0xffff) throw new Error(`forest node ${i}: right child ${f.right[i]} cannot be stored (trees of at most 65535 nodes)`);
    jump[i] = d;
  }
  return { trees: f.offsets.length, nodes: f.feature.length, offsets: b64(f.offsets), feature: b64(f.feature), value: b64(f.value), right: b64(jump) };
}

/**
 * Decodes and checks a forest read from a file: every array of the stated length, every
 * split feature below `nFeatures`, every child index inside the forest, so a corrupt file
 * fails here with a reason instead of reading out of bounds at prediction time.
 */
export function decodeForest(e: EncodedForest, nFeatures: number): FlatForest {
  const bytes = (s: unknown, what: string): Buffer => {
    if (typeof s !== 'string') throw new Error(`forest field "${what}" is missing`);
    return Buffer.from(s, 'base64');
  };
  // Copy into a fresh, aligned ArrayBuffer (a Buffer may sit at any offset of a pool).
  const own = (buf: Buffer): ArrayBuffer => {
    const ab = new ArrayBuffer(buf.length);
    new Uint8Array(ab).set(buf);
    return ab;
  };
  const ob = bytes(e.offsets, 'offsets');
  const fb = bytes(e.feature, 'feature');
  const vb = bytes(e.value, 'value');
  const rb = bytes(e.right, 'right');
  if (!(e.trees > 0) || ob.length !== 4 * e.trees) throw new Error(`forest "offsets" holds ${ob.length / 4} trees, header says ${e.trees}`);
  if (!(e.nodes > 0) || fb.length !== e.nodes || vb.length !== 4 * e.nodes || rb.length !== 2 * e.nodes) {
    throw new Error(`forest arrays do not hold the ${e.nodes} nodes the header states`);
  }
  const f: FlatForest = {
    offsets: new Int32Array(own(ob)),
    feature: new Int8Array(own(fb)),
    value: new Float32Array(own(vb)),
    right: Int32Array.from(new Uint16Array(own(rb)), (d, i) => i + d),
  };
  for (let i = 0; i < e.nodes; i++) {
    const k = f.feature[i]!;
    if (k >= nFeatures) throw new Error(`forest node ${i} splits on feature ${k}, the model has ${nFeatures}`);
    if (k >= 0 && (i + 1 >= e.nodes || f.right[i]! <= i || f.right[i]! >= e.nodes)) throw new Error(`forest node ${i} points outside the forest`);
  }
  for (const o of f.offsets) if (o < 0 || o >= e.nodes) throw new Error(`forest tree offset ${o} is outside the forest`);
  return f;
}
