/**
 * The once-a-second tick: retry the models while degraded, probe a failing state log, put a
 * healed outage on record, resume the queue once the outbox has room (below 90 % of its
 * maximum, so it does not flap at the edge), compact, and recheck files that failed for io.
 */
import type { Logger } from '../log.js';
import type { StateStore } from '../pipeline/outbox.js';
import type { ErrorClass } from '../pipeline/payloads.js';
import type { Clock } from './clock.js';
import type { Intake } from './intake.js';
import type { StateMessages } from './messages.js';
import type { ModelSlot } from './model-slot.js';

export interface HousekeepingDeps {
  store: StateStore;
  models: Pick<ModelSlot, 'error' | 'retryIfDue'>;
  messages: StateMessages;
  intake: Pick<Intake, 'recheckIoFailures'>;
  resume: () => void;
  publishStatus: () => void;
  pump: () => void;
  outboxMax: number;
  keepMs: number;
  log: Logger;
}

/** Housekeeping ticks between checks of files that failed to read. */
export const IO_RECHECK_TICKS = 5;
export const HOUSEKEEPING_MS = 1000;

export class Housekeeping {
  private ticks = 0;

  constructor(private readonly d: HousekeepingDeps) {}

  async tick(): Promise<void> {
    const { store, d } = { store: this.d.store, d: this.d };
    try {
      await d.models.retryIfDue();
      store.retryWrites(); // while the state log fails: one probe write, with backoff (1 s .. 30 s)
      const outage = store.takeRecovery();
      if (outage) this.recordOutage(outage);
      if (!d.models.error && !store.writeError && store.outboxDepth < d.outboxMax * 0.9) d.resume();
      if (store.wantsCompaction) store.compact(d.keepMs);
      if (++this.ticks % IO_RECHECK_TICKS === 0) d.intake.recheckIoFailures();
    } catch (err) {
      d.log.error('housekeeping failed', { error: err });
    }
  }

  start(clock: Clock): () => void { return clock.every(HOUSEKEEPING_MS, () => this.tick()); }

  /** The outage is put on record (an error message) once the log takes writes again. */
  private recordOutage(o: { since: number; until: number; error: string; code: string }): void {
    const message = `the state log was not writable from ${new Date(o.since).toISOString()} to ${new Date(o.until).toISOString()} (${o.error}); image intake was paused meanwhile, nothing was lost`;
    this.d.messages.bestEffort(() => this.d.store.recordMessages([this.d.messages.make('error', { image: null, stage: 'state', code: o.code, class: 'io' satisfies ErrorClass, message })]));
    this.d.publishStatus();
    this.d.pump();
  }
}
