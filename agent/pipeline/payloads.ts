/**
 * Envelopes for everything temguard publishes: schema name+version, a message id for
 * de-duplication, a sequence number and an ISO-8601 UTC timestamp. The JSON Schemas in
 * agent/schemas/ describe each payload; tests validate real messages against them.
 */
import { randomUUID } from 'node:crypto';

export const SCHEMA_VERSION = 1;
export type TopicName = 'availability' | 'info' | 'status' | 'result' | 'alert' | 'error' | 'digest';

export interface Envelope {
  schema: { name: string; version: number };
  msg_id: string;
  seq: number;
  ts: string;
  instrument: string;
}

export function envelope(topic: TopicName, seq: number, instrument: string, body: object, now: Date = new Date()): Envelope & Record<string, unknown> {
  return {
    schema: { name: `temguard/${topic}`, version: SCHEMA_VERSION },
    msg_id: randomUUID(),
    seq,
    ts: now.toISOString(),
    instrument,
    ...body,
  };
}
