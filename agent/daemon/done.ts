/**
 * Whether an image is done: journalled, unless it was an error that a config or model change
 * (the config hash) or a file change (mtime is in the key; the mode in the file stamp) can fix.
 */
import type { StateStore } from '../pipeline/outbox.js';
import { imageKey, type ImageFile } from '../pipeline/watch.js';
import { fileStamp, hashConfig } from './files.js';

/** What config and model errors are journalled under: the config plus the models it loaded (a new model file retries them too). */
export function configHasher(cfg: object, models: { detector: { model: { sha256: string } } | null; forest: { sha256: string } | null }): () => string {
  const cfgHash = hashConfig(cfg);
  return () => hashConfig({ cfgHash, detector: models.detector?.model.sha256 ?? null, forest: models.forest?.sha256 ?? null });
}

export function doneCheck(store: StateStore, configHash: () => string): (f: ImageFile) => boolean {
  return (f) => {
    const e = store.doneEntry(imageKey(f));
    if (!e) return false;
    if (e.retry?.config !== undefined && e.retry.config !== configHash()) return false;
    if (e.retry?.file !== undefined && e.retry.file !== fileStamp(f.path)) return false;
    return true;
  };
}
