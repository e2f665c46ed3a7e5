/**
 * TIFF's LZW (compression 5, MSB-first codes, early change) for the native TIFF reader.
 * Written out here because libvips' TIFF path loses the raw sample values for some
 * scientific layouts (float64, signed) and we want one reader for all camera TIFFs.
 */
import { DecodeError } from './errors.js';

export function lzwDecode(input: Uint8Array, expected: number): Uint8Array {
  const out = new Uint8Array(expected);
  let outPos = 0;
  const prefix = new Int32Array(4096);
  const suffix = new Uint8Array(4096);
  const length = new Int32Array(4096);
  for (let i = 0; i < 256; i++) { prefix[i] = -1; suffix[i] = i; length[i] = 1; }
  let next = 258;
  let width = 9;
  let bitPos = 0;
  let old = -1;
  const totalBits = input.length * 8;
  const readCode = (): number => {
    if (bitPos + width > totalBits) return 257;
    let code = 0;
    for (let k = 0; k < width; k++) {
      const p = bitPos + k;
      code = (code << 1) | ((input[p >> 3]! >> (7 - (p & 7))) & 1);
    }
    bitPos += width;
    return code;
  };
  const emit = (code: number): number => {
    const len = length[code]!;
    let c = code;
    const end = outPos + len;
    let first = 0;
    for (let k = len - 1; k >= 0; k--) {
      if (outPos + k < expected) out[outPos + k] = suffix[c]!;
      first = suffix[c]!;
      c = prefix[c]!;
    }
    outPos = Math.min(end, expected);
    return first;
  };
  while (outPos < expected) {
    const code = readCode();
    if (code === 257) break;
    if (code === 256) { next = 258; width = 9; old = -1; continue; }
    if (old < 0) {
      if (code > 255) throw new DecodeError('corrupt', 'LZW stream starts with a non-literal code');
      emit(code);
      old = code;
      continue;
    }
    let first: number;
    if (code < next) {
      first = emit(code);
      if (next < 4096) { prefix[next] = old; suffix[next] = first; length[next] = length[old]! + 1; next++; }
    } else if (code === next && next < 4096) {
      // KwKwK case: the new string is old + first(old).
      let c = old;
      while (prefix[c]! >= 0) c = prefix[c]!;
      prefix[next] = old; suffix[next] = suffix[c]!; length[next] = length[old]! + 1; next++;
      emit(code);
    } else {
      throw new DecodeError('corrupt', `LZW code ${code} out of sequence`);
    }
    old = code;
    if (next + 1 >= 1 << width && width < 12) width++;
  }
  if (outPos < expected) throw new DecodeError('truncated', `LZW strip ends after ${outPos} of ${expected} bytes`);
  return out;
}
