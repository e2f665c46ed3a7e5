/**
 * `temguard validate-config FILE`: loads FILE as the agent would (with TEMGUARD_* env
 * overrides), prints every problem with its path and line and exits 1, or prints the
 * effective config (secrets masked) and exits 0. Every file it names (password, TLS, models,
 * the watch directory) must exist and be readable by the user running it. `--print-defaults` prints the documented
 * default file, `--print-reference` the README's table of every key.
 */
import { ConfigError, loadConfig, redact } from '../config/load.js';
import { defaultYaml, markdownTable } from '../config/docs.js';
import { checkFiles } from '../config/files.js';
import { parseFlags, UsageError, type Command } from './command.js';

export const validateConfig: Command = async (argv, io) => {
  const { flags, positional } = parseFlags(argv, ['print-defaults', 'print-reference'], ['print-defaults', 'print-reference']);
  if (flags['print-defaults']) { io.stdout(defaultYaml().trimEnd()); return 0; }
  if (flags['print-reference']) { io.stdout(markdownTable()); return 0; }
  if (positional.length !== 1) throw new UsageError('usage: temguard validate-config FILE  (or --print-defaults)');
  try {
    const cfg = loadConfig({ file: positional[0], env: process.env });
    const files = checkFiles(cfg, process.env);
    for (const note of files.notes) io.stderr(`note: ${note}`);
    if (files.problems.length) throw new ConfigError(files.problems, positional[0]!);
    io.stdout(JSON.stringify(redact(cfg), null, 2));
    io.stderr(`${positional[0]}: ok`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) { io.stderr(err.message); return 1; }
    throw err;
  }
};
