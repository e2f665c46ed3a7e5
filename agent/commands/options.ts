/**
 * The flags that `run` and `predict` share, mapped onto config paths, and the one way both
 * build their effective Config (file < TEMGUARD_* env < flags).
 */
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { DEFAULT_FOREST_OPTIONS, type ForestOptions } from '../learn/cart.js';
import { join } from 'node:path';
import { MODELS_DIR } from '../paths.js';
import { numberFlag, stringFlag, UsageError } from './command.js';

/** Model packs by name (--pack): a detector and the forest trained on its own output on the same kind of images; --model/--forest still win. */
export const PACKS: Record<string, { model: string; forest: string }> = {
  cavity: { model: join(MODELS_DIR, 'cavity-unet-all.onnx'), forest: join(MODELS_DIR, 'forest-default.json') },
  loops: { model: join(MODELS_DIR, 'loops-unet.onnx'), forest: join(MODELS_DIR, 'forest-loops.json') },
};

/** --pack NAME as detector.model/forest.model overrides (none without the flag). */
function packOverrides(flags: Record<string, string | true>): Record<string, unknown> {
  const name = stringFlag(flags, 'pack');
  if (name === undefined) return {};
  const pack = PACKS[name];
  if (!pack) throw new UsageError(`--pack: unknown pack "${name}" (known: ${Object.keys(PACKS).join(', ')})`);
  return { 'detector.model': pack.model, 'forest.model': pack.forest };
}

/** flag -> config path */
export const CONFIG_FLAGS: Record<string, string> = {
  watch: 'watch.dir',
  mqtt: 'mqtt.url',
  instrument: 'instrument.id',
  state: 'state.dir',
  model: 'detector.model',
  forest: 'forest.model',
  'log-level': 'log.level',
  http: 'http.listen',
};

export function configFromFlags(flags: Record<string, string | true>, env: NodeJS.ProcessEnv = process.env): Config {
  const overrides: Record<string, unknown> = packOverrides(flags);
  for (const [flag, path] of Object.entries(CONFIG_FLAGS)) {
    const v = stringFlag(flags, flag);
    if (v !== undefined) overrides[path] = v;
  }
  const file = stringFlag(flags, 'config') ?? env.TEMGUARD_CONFIG;
  return loadConfig({ file, env, overrides });
}

/** --trees, --min-leaf, --max-features, --seed: the forest settings `train` and `evaluate` share. */
export function forestOptionsFromFlags(flags: Record<string, string | true>): ForestOptions {
  return {
    nTrees: numberFlag(flags, 'trees', DEFAULT_FOREST_OPTIONS.nTrees),
    minSamplesLeaf: numberFlag(flags, 'min-leaf', DEFAULT_FOREST_OPTIONS.minSamplesLeaf),
    maxFeatures: numberFlag(flags, 'max-features', DEFAULT_FOREST_OPTIONS.maxFeatures),
    seed: numberFlag(flags, 'seed', DEFAULT_FOREST_OPTIONS.seed),
  };
}
