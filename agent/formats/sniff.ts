/**
 * Which reader a file needs, from its first bytes. Magic bytes win over the extension so a
 * misnamed file still reads (or fails with the right reason); the extension only decides
 * between readers when the bytes themselves cannot (old MRC files without the "MAP " stamp).
 */
export type FormatKind = 'png' | 'jpeg' | 'tiff' | 'dm3' | 'dm4' | 'mrc' | 'unknown';

/** How many leading bytes sniffFormat wants (the MRC stamp sits at byte 208). */
export const SNIFF_BYTES = 1024;

export function sniffFormat(head: Uint8Array, extension = ''): FormatKind {
  const b = head;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 4 && ((b[0] === 0x49 && b[1] === 0x49 && (b[2] === 42 || b[2] === 43) && b[3] === 0) ||
    (b[0] === 0x4d && b[1] === 0x4d && b[2] === 0 && (b[3] === 42 || b[3] === 43)))) return 'tiff';
  if (b.length >= 16 && b[0] === 0 && b[1] === 0 && b[2] === 0 && (b[3] === 3 || b[3] === 4)) {
    // DM: big-endian version 3 or 4, then a byte-order word that is 0 or 1.
    const dm4 = b[3] === 4;
    const order = dm4 ? b.subarray(12, 16) : b.subarray(8, 12);
    if (order[0] === 0 && order[1] === 0 && order[2] === 0 && (order[3] === 0 || order[3] === 1)) return dm4 ? 'dm4' : 'dm3';
  }
  if (b.length >= 212 && b[208] === 0x4d && b[209] === 0x41 && b[210] === 0x50 && b[211] === 0x20) return 'mrc';
  const ext = extension.toLowerCase();
  if ((ext === '.mrc' || ext === '.mrcs' || ext === '.st' || ext === '.ali' || ext === '.map') && b.length >= 1024) return 'mrc';
  return 'unknown';
}
