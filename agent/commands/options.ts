/**
 * The flags that `run` and `predict` share, mapped onto config paths, and the one way both
 * build their effective Config (file < TEMGUARD_* env < flags).
 */
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { DEFAULT_FOREST_OPTIONS, type ForestOptions } from '../learn/cart.js';
import { numberFlag, stringFlag } from './command.js';

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
  const overrides: Record<string, unknown> = {};
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
