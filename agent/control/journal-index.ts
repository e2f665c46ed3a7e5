/**
 * What the journal says each image's latest result was (msg_id, when, the models' sha256),
 * read from the state log for `rescore`. Compaction keeps only "done" marks, so for an image
 * journalled before the last compaction the result is unknown (null), not guessed.
 */
import { readFileSync } from 'node:fs';
import { parseStateLine } from '../pipeline/state-lines.js';

export interface JournalledImage {
  rel: string;
  at: number;
  result: { msg_id: string; detector: string | null; forest: string | null } | null;
}

/** rel -> its latest journal entry (a later rescore's result supersedes the original). */
export function readJournal(file: string): Map<string, JournalledImage> {
  const out = new Map<string, JournalledImage>();
  let text = '';
  try { text = readFileSync(file, 'utf8'); } catch { return out; }
  for (const raw of text.split('\n')) {
    if (!raw) continue;
    const line = parseStateLine(raw);
    if (typeof line === 'string') continue; // the store reports bad lines at load; here they only say nothing
    if (line.t === 'img') {
      const rel = line.key.split('|').slice(0, -2).join('|');
      const m = line.msgs.find((x) => x.topic === 'result');
      const prior = out.get(rel);
      out.set(rel, { rel, at: line.at, result: m ? resultOf(m.msg_id, m.payload) : (prior?.result ?? null) });
    } else if (line.t === 'msg') {
      for (const m of line.msgs) {
        const p = m.payload as { rescore?: unknown; image?: { rel?: string }; ts?: string };
        if (m.topic !== 'result' || !p.rescore || typeof p.image?.rel !== 'string') continue;
        const prior = out.get(p.image.rel);
        if (prior) prior.result = resultOf(m.msg_id, m.payload);
      }
    }
  }
  return out;
}

function resultOf(msgId: string, payload: Record<string, unknown>): JournalledImage['result'] {
  const p = payload as { detector?: { sha256?: string }; forest?: { sha256?: string } };
  return { msg_id: msgId, detector: p.detector?.sha256 ?? null, forest: p.forest?.sha256 ?? null };
}
