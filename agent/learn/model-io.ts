/**
 * Writes a model file and its manifest side by side, the manifest carrying the sha256 of
 * the exact bytes written, so pipeline/forest.ts can tell the pair belongs together.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { manifestPathFor, TARGETS, type ForestManifest, type ForestModelFile } from '../pipeline/forest.js';

export async function writeModel(path: string, model: ForestModelFile, extra: Partial<ForestManifest> & { name: string }): Promise<ForestManifest> {
  const bytes = Buffer.from(JSON.stringify(model) + '\n');
  const manifest: ForestManifest = {
    ...extra,
    name: extra.name,
    version: model.version,
    created: extra.created ?? new Date().toISOString(),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    bytes: bytes.length,
    features: model.features,
    scaler: model.scaler,
    targets: [...TARGETS],
    ...(model.conformal ? { conformal: model.conformal } : {}),
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  await writeFile(manifestPathFor(path), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
