import test from 'ava';
import { errorClass } from '../../agent/pipeline/payloads.js';

test('errors are classed by what fixes them', (t) => {
  t.is(errorClass('read', 'io', 'cannot read the file: EACCES: permission denied'), 'io');
  t.is(errorClass('read', 'not_found', 'cannot read the file: ENOENT'), 'io');
  t.is(errorClass('decode', 'not_found', 'permission denied'), 'io');
  t.is(errorClass('decode', 'corrupt', 'bad IDAT'), 'input');
  t.is(errorClass('decode', 'truncated', 'ends early'), 'input');
  t.is(errorClass('decode', 'empty', 'file is empty'), 'input');
  t.is(errorClass('decode', 'unsupported', 'a spectrum'), 'input');
  t.is(errorClass('decode', 'too_large', '16384x16384 exceeds the limit'), 'config');
  t.is(errorClass('decode', 'failed', 'decode failed: pixel size override "*.tif": invalid size 0 furlong'), 'config');
  t.is(errorClass('detect', 'failed', 'detect failed: Session already disposed'), 'model');
  t.is(errorClass('forest', 'failed', 'forest failed'), 'model');
  t.is(errorClass('state', 'ENOSPC', 'no space left on device'), 'io');
});
