/**
 * `temguard inspect FILE...`: what the agent would analyse in each file, one JSON line per
 * file: width, height, dtype, min, max, mean, pixel_size ({x, y, unit} in nm, or null) and
 * format. It uses decodeFile, the same reader the watcher and `predict` use, so what it
 * prints is what they see. A file that cannot be analysed gets one line on stderr naming
 * the file and the reason (with its code) and the exit status is 1.
 */
import { DecodeError, decodeFile } from '../pipeline/decode.js';
import { numberFlag, parseFlags, UsageError, type Command } from './command.js';

const USAGE = 'usage: temguard inspect [--max-pixels N] FILE...';

export const inspect: Command = async (argv, io) => {
  const { flags, positional } = parseFlags(argv, ['max-pixels', 'help'], ['help']);
  if (flags.help) { io.stdout(USAGE); return 0; }
  if (positional.length === 0) throw new UsageError(`no file given\n${USAGE}`);
  const maxPixels = numberFlag(flags, 'max-pixels', 16384 * 16384);
  if (!(maxPixels >= 1)) throw new UsageError('--max-pixels must be at least 1');
  let failed = 0;
  for (const file of positional) {
    try {
      const f = await decodeFile(file, { maxPixels });
      io.stdout(JSON.stringify({
        file, width: f.width, height: f.height, dtype: f.dtype, min: f.min, max: f.max, mean: f.mean,
        pixel_size: f.pixelSize ? { x: f.pixelSize.x, y: f.pixelSize.y, unit: f.pixelSize.unit } : null,
        format: f.format,
      }));
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      io.stderr(`temguard inspect: ${err.message} [${err.code}]`);
      failed++;
    }
  }
  return failed ? 1 : 0;
};
