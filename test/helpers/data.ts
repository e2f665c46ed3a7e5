/** Where the shared real data lives, and whether it is there (a user's fresh clone has none). */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../agent/paths.js';

export const SHARED_TEM = join(PACKAGE_ROOT, '..', 'shared', 'data', 'tem');
export const HAS_TEM = existsSync(SHARED_TEM);

/** Real TEM images (sorted), or [] when ../shared is absent. */
export function temImages(): string[] {
  if (!HAS_TEM) return [];
  return readdirSync(SHARED_TEM).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort().map((f) => join(SHARED_TEM, f));
}
