/**
 * Envelopes for everything temguard publishes: schema name+version, a message id for
 * de-duplication, a sequence number and an ISO-8601 UTC timestamp. The JSON Schemas in
 * agent/schemas/ describe each payload; tests validate real messages against them.
 */
import { randomUUID } from 'node:crypto';

export const SCHEMA_VERSION = 1;
export type TopicName = 'availability' | 'info' | 'status' | 'result' | 'alert' | 'error' | 'digest' | 'feedback';

export interface Envelope {
  schema: { name: string; version: number };
  msg_id: string;
  seq: number;
  ts: string;
  instrument: string;
}

/** msgId: a redo of an image whose journal line was damaged publishes under the id it had. */
export function envelope(topic: TopicName, seq: number, instrument: string, body: object, now: Date = new Date(), msgId: string = randomUUID()): Envelope & Record<string, unknown> {
  return {
    schema: { name: `temguard/${topic}`, version: SCHEMA_VERSION },
    msg_id: msgId,
    seq,
    ts: now.toISOString(),
    instrument,
    ...body,
  };
}

/**
 * What an error is about, so an operator (and the agent) knows what fixes it:
 *   input   the file itself (corrupt, unsupported, empty): only a new file helps; never retried
 *   config  a setting (a pixel-size override, a limit): retried at a start with a changed config
 *   io      reading or writing failed (permissions, a full disk): retried when the file's
 *           mtime or permissions change (checked while running and at start)
 *   model   the detector or forest failed: retried, like config, at a start with another config or model
 */
export type ErrorClass = 'input' | 'config' | 'io' | 'model';

export function errorClass(stage: string, code: string, message: string): ErrorClass {
  if (stage === 'read' || stage === 'state') return 'io';
  if (stage === 'decode') {
    if (code === 'not_found' || code === 'io') return 'io';
    if (code === 'too_large') return 'config'; // decode.max_pixels (or the memory budget) refused it
    // The decoder reports a bad pixel-size override as a plain failure: it is the config's fault.
    if (/pixel size override/i.test(message)) return 'config';
    return 'input';
  }
  if (stage === 'startup') return /config|password_file|no such file|ENOENT/i.test(message) ? 'config' : 'model';
  return 'model'; // detect, features, forest
}
