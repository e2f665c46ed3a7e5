/**
 * `temguard predict FILE...`: one-shot. Prints one result JSON per line (the same payload
 * as the MQTT result), a one-line reason on stderr for each file that failed, and exits
 * non-zero if any did.
 */
import { relative } from 'node:path';
import { silentLogger, createLogger } from '../log.js';
import { analyseImage, DEFAULT_MAX_ITEMS, StageError } from '../pipeline/analyse.js';
import { createDetector } from '../pipeline/detect.js';
import { DEFAULT_FOREST_PATH, loadForest } from '../pipeline/forest.js';
import { envelope } from '../pipeline/payloads.js';
import { decodeOptions, detectorOptions } from '../config/derived.js';
import { parseFlags, UsageError, type Command } from './command.js';
import { createPhysics } from '../physics/measure.js';
import { configFromFlags } from './options.js';

export const predict: Command = async (argv, io) => {
  const { flags, positional } = parseFlags(argv, ['config', 'model', 'forest', 'pack', 'instrument', 'log-level']);
  if (positional.length === 0) throw new UsageError('usage: temguard predict FILE... [--pack cavity|loops] [--model ONNX] [--forest MODEL.json] [--config FILE]');
  const cfg = configFromFlags(flags);
  const log = flags['log-level'] ? createLogger({ level: cfg.log.level, write: io.stderr }) : silentLogger;
  const detector = await createDetector(detectorOptions(cfg), log);
  try {
    const forest = await loadForest(cfg.forest.model ?? DEFAULT_FOREST_PATH, { threshold: cfg.forest.f1_threshold });
    const deps = { detector, forest, decode: decodeOptions(cfg), maxItems: DEFAULT_MAX_ITEMS, physics: createPhysics(cfg.statistics.thickness_nm) };
    let failed = 0;
    let seq = 1;
    for (const file of positional) {
      try {
        const result = await analyseImage(file, relative(process.cwd(), file), deps);
        io.stdout(JSON.stringify(envelope('result', seq++, cfg.instrument.id, result)));
      } catch (err) {
        failed++;
        const e = err as StageError;
        io.stderr(`${file}: ${e.stage ?? 'error'}: ${e.message}`);
      }
    }
    return failed ? 1 : 0;
  } finally {
    await detector.close();
  }
};
