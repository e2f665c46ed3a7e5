/**
 * `rescore {images | since}`: run journalled images again with the models loaded now (after a
 * model change, say) and publish each new result marked with what it supersedes and both
 * models' sha256. The originals stay in the journal; alerts, counters and the digest are not
 * fed again (these are past images). Runs through the same serialised analysis as the worker,
 * so the detector never takes two images at once.
 */
import { join } from 'node:path';
import type { Analyse } from '../daemon/worker.js';
import type { StateMessages } from '../daemon/messages.js';
import { restat } from '../daemon/files.js';
import type { Logger } from '../log.js';
import type { StateStore } from '../pipeline/outbox.js';
import { readJournal, type JournalledImage } from './journal-index.js';
import { CommandError } from './registry.js';

/** One request re-runs at most this many images (the analysis is minutes for hundreds). */
export const RESCORE_MAX = 100;

export interface RescoreDeps {
  store: StateStore;
  messages: StateMessages;
  analyse: Analyse;
  watchDir: () => string;
  /** sha256 of the models loaded now, or null while they are not. */
  models: () => { detector: string; forest: string } | null;
  pump: () => void;
  /** The live F1 threshold, as the worker applies it. */
  threshold: () => number;
  log: Logger;
}

export interface RescoreItem { image: string; msg_id?: string; supersedes?: string | null; f1?: number; error?: string }

export async function rescore(d: RescoreDeps, p: { images?: string[]; since?: string }): Promise<{ rescored: number; failed: number; items: RescoreItem[] }> {
  const models = d.models();
  if (!models) throw new CommandError('models are not loaded (the agent is degraded): nothing to rescore with');
  const journal = readJournal(d.store.file);
  const since = p.since !== undefined ? Date.parse(p.since) : null;
  if (since !== null && !Number.isFinite(since)) throw new CommandError(`since: "${p.since}" is not an ISO-8601 time`);
  const chosen = p.images ?? [...journal.values()].filter((e) => since !== null && e.at >= since).sort((a, b) => a.at - b.at).map((e) => e.rel);
  const unknown = chosen.filter((rel) => !journal.has(rel));
  if (unknown.length) throw new CommandError(`not in the journal: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ''}`);
  if (chosen.length === 0) throw new CommandError('no journalled image matches');
  if (chosen.length > RESCORE_MAX) throw new CommandError(`${chosen.length} images match; at most ${RESCORE_MAX} per request (narrow images or since)`);
  const items: RescoreItem[] = [];
  for (const rel of chosen) items.push(await one(d, rel, journal.get(rel)!.result, models));
  d.pump();
  const failed = items.filter((i) => i.error).length;
  d.log.info('rescored', { images: items.length, failed });
  return { rescored: items.length - failed, failed, items };
}

async function one(d: RescoreDeps, rel: string, previous: JournalledImage['result'], models: { detector: string; forest: string }): Promise<RescoreItem> {
  const path = join(d.watchDir(), rel);
  const f = restat({ path, rel, size: 0, mtimeMs: 0 });
  const { result, error } = await d.analyse(f, new AbortController().signal);
  if (!result) return { image: rel, error: `${error?.stage ?? 'analyse'}: ${error?.message ?? 'failed'}` };
  result.prediction.threshold = d.threshold();
  result.prediction.low = result.prediction.f1 < result.prediction.threshold;
  const mark = {
    supersedes: previous?.msg_id ?? null,
    previous_models: previous ? { detector: previous.detector, forest: previous.forest } : null,
    models,
  };
  const msg = d.messages.make('result', { ...result, rescore: mark });
  d.store.recordMessages([msg]); // a StateWriteError reaches the router: answered "internal error", logged
  return { image: rel, msg_id: msg.msg_id, supersedes: mark.supersedes, f1: result.prediction.f1 };
}
