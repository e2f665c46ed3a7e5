#!/usr/bin/env node
/**
 * The one entry point: `temguard <command> [options]`. Each command is its own module,
 * imported only when called so a quick `inspect` does not load onnxruntime or MQTT.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError, type Command, type CommandIO } from './commands/command.js';
import { stderrSink } from './progress.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  run: { summary: 'the daemon: watch a directory, publish results over MQTT', load: async () => (await import('./commands/run.js')).run },
  predict: { summary: 'one-shot: print one result JSON per file', load: async () => (await import('./commands/predict.js')).predict },
  'validate-config': { summary: 'check a config file and print the effective config', load: async () => (await import('./commands/validate-config.js')).validateConfig },
  inspect: { summary: 'print width, height, dtype, range and pixel size of an image file', load: async () => (await import('./commands/inspect.js')).inspect },
  simulate: { summary: 'write simulated, labelled TEM images of cavities (COCO)', load: async () => (await import('./commands/simulate.js')).simulate },
  score: { summary: 'detector precision/recall/F1 against COCO annotations', load: async () => (await import('./commands/score.js')).score },
  dataset: { summary: 'run the detector on labelled images, write the feature table', load: async () => (await import('./commands/dataset.js')).dataset },
  train: { summary: 'train the F1/precision/recall forest from a feature table', load: async () => (await import('./commands/train.js')).train },
  evaluate: { summary: 'cross-validate the forest protocol, write a report', load: async () => (await import('./commands/evaluate.js')).evaluate },
};

function usage(): string {
  const lines = ['usage: temguard <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(16)} ${c.summary}`);
  return lines.join('\n');
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') { io.stdout(usage()); return name ? 0 : 2; }
  const entry = COMMANDS[name];
  if (!entry) { io.stderr(`temguard: unknown command "${name}"\n${usage()}`); return 2; }
  try {
    return await (await entry.load())(rest, io);
  } catch (err) {
    if (err instanceof UsageError) { io.stderr(`temguard ${name}: ${err.message}`); return 2; }
    // A one-line reason, never a stack trace, for anything a command did not handle itself.
    io.stderr(`temguard ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

const io: CommandIO = { stdout: (l) => process.stdout.write(l + '\n'), stderr: (l) => process.stderr.write(l + '\n'), progress: stderrSink() };

/** True when this file is the program (node cli.js, or the npm bin link to it), not an import. */
function isMain(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
if (isMain()) {
  main(process.argv.slice(2), io).then((code) => { process.exitCode = code; });
}
