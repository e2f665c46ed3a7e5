/**
 * The one error type every reader throws. A code the watcher can act on ('empty' and
 * 'truncated' may mean "still being written, retry"; the others are final) and the path,
 * so a result or alert can name the file without a stack trace.
 */
export type DecodeErrorCode = 'not_found' | 'empty' | 'truncated' | 'corrupt' | 'unsupported' | 'too_large';

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  readonly code: DecodeErrorCode;
  readonly path: string;
  constructor(code: DecodeErrorCode, message: string, path = '') {
    super(path ? `${path}: ${message}` : message);
    this.code = code;
    this.path = path;
  }
}

/** Readers work on bytes and do not know the path; decode.ts re-labels their errors with it. */
export function withPath(err: DecodeError, path: string): DecodeError {
  if (err.path === path) return err;
  const bare = err.path && err.message.startsWith(err.path + ': ') ? err.message.slice(err.path.length + 2) : err.message;
  return new DecodeError(err.code, bare, path);
}
