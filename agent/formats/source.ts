/**
 * Random access to a file's bytes. DM and MRC readers walk headers and tag trees with many
 * small reads, then read one image's bytes: working through this interface (instead of
 * reading the whole file) keeps memory bounded by the image, not by the file, which may be
 * a multi-gigabyte stack. A Buffer-backed source serves tests and fuzzing.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { DecodeError } from './errors.js';

export interface ByteSource {
  readonly size: number;
  /** Exactly `length` bytes at `offset`, or a 'truncated' DecodeError when the file is shorter. */
  read(offset: number, length: number): Buffer;
  /** Fill `target` from `offset` (no allocation: bulk pixel reads go through a reused buffer). */
  readInto(offset: number, target: Uint8Array): void;
}

function checkRange(size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new DecodeError('corrupt', `invalid byte range ${offset}+${length}`);
  }
  if (offset + length > size) {
    throw new DecodeError('truncated', `file ends at byte ${size}, data needs bytes up to ${offset + length}`);
  }
}

export function bufferSource(buf: Buffer): ByteSource {
  return {
    size: buf.length,
    read(offset, length) {
      checkRange(buf.length, offset, length);
      return buf.subarray(offset, offset + length);
    },
    readInto(offset, target) {
      checkRange(buf.length, offset, target.length);
      target.set(buf.subarray(offset, offset + target.length));
    },
  };
}

const CHUNK = 64 * 1024;

/**
 * A file opened for positional reads, with a one-chunk cache so walking a tag tree of
 * thousands of 10-byte entries costs a few syscalls, not thousands.
 */
export class FileSource implements ByteSource {
  readonly size: number;
  private readonly fd: number;
  private cacheStart = -1;
  private cache: Buffer = Buffer.alloc(0);

  constructor(path: string) {
    this.fd = openSync(path, 'r');
    try {
      this.size = fstatSync(this.fd).size;
    } catch (err) {
      closeSync(this.fd);
      throw err;
    }
  }

  read(offset: number, length: number): Buffer {
    checkRange(this.size, offset, length);
    if (length > CHUNK / 2) return this.readDirect(offset, length);
    if (this.cacheStart < 0 || offset < this.cacheStart || offset + length > this.cacheStart + this.cache.length) {
      const n = Math.min(CHUNK, this.size - offset);
      this.cache = this.readDirect(offset, n);
      this.cacheStart = offset;
    }
    const at = offset - this.cacheStart;
    return this.cache.subarray(at, at + length);
  }

  readInto(offset: number, target: Uint8Array): void {
    checkRange(this.size, offset, target.length);
    let done = 0;
    while (done < target.length) {
      const n = readSync(this.fd, target, done, target.length - done, offset + done);
      if (n === 0) throw new DecodeError('truncated', `file shrank while reading at byte ${offset + done}`);
      done += n;
    }
  }

  private readDirect(offset: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    this.readInto(offset, out);
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}
