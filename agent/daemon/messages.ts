/**
 * Messages that go through the state log: each gets its envelope (seq from the store, so
 * it is monotonic across restarts) here, in one place, whatever part of the daemon sends it.
 */
import type { Logger } from '../log.js';
import { StateWriteError, type OutMsg, type StateStore } from '../pipeline/outbox.js';
import { envelope, type TopicName } from '../pipeline/payloads.js';
import type { Clock } from './clock.js';

/** msg_ids a damaged journal line named for an image; its redo publishes under them. */
export type Reuse = { topic: string; msg_id: string }[];

export class StateMessages {
  constructor(private readonly store: StateStore, private readonly instrument: string, private readonly log: Logger, private readonly clock: Clock) {}

  /** reuse is consumed: each id is used once, for the first message of its topic. */
  make(topic: TopicName, body: object, reuse: Reuse = []): OutMsg {
    const i = reuse.findIndex((r) => r.topic === topic);
    const id = i >= 0 ? reuse.splice(i, 1)[0]!.msg_id : undefined;
    const payload = envelope(topic, this.store.nextSeq(), this.instrument, body, new Date(this.clock.now()), id);
    return { topic, msg_id: payload.msg_id, seq: payload.seq, payload };
  }

  /** For messages that are not an image's outcome: while the state log fails they are logged, not journalled. */
  bestEffort(fn: () => void): void {
    try { fn(); } catch (err) {
      if (!(err instanceof StateWriteError)) throw err;
      this.log.warn('could not journal this error message (state log not writable)', { error: err.message });
    }
  }
}
