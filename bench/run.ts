/**
 * `npm run bench`: runs every bench/*.bench.ts in its own Node process (so one benchmark's
 * heap does not disturb another's memory figures), one after the other, and prints what
 * each reports. Each benchmark compares itself with a reference measured in the same run
 * and prints ratios; nothing here asserts a time.
 * Pass names to run a subset: `npm run bench -- decode forest`.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
let failed = 0;
for (const f of files) {
  process.stdout.write(`\n## ${f}\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join(here, f)], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; process.stdout.write(`(${f} exited ${r.status})\n`); }
}
process.exitCode = failed ? 1 : 0;
