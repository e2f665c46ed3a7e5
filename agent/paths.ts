/**
 * Where the package's own files live (models/, config/, agent/schemas/), found by walking up
 * from this module to package.json, so the same code works from agent/*.ts under tsx and
 * from dist/agent/*.js after `tsc`.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('temguard: cannot find the package root (package.json + models/)');
    dir = up;
  }
}

export const PACKAGE_ROOT = findRoot();
export const MODELS_DIR = join(PACKAGE_ROOT, 'models');
export const CONFIG_DIR = join(PACKAGE_ROOT, 'config');
