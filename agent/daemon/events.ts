/**
 * What the daemon tells the modules beside it (metrics, notifications, statistics, labels):
 * each image's outcome once it is journalled, and each alert event. A listener that throws is
 * logged and skipped: a bug in a side module never stops image processing.
 */
import type { Logger } from '../log.js';
import type { AlertEvent } from '../pipeline/alerts.js';
import type { ImageResult, StageError } from '../pipeline/analyse.js';
import type { OutMsg } from '../pipeline/outbox.js';
import type { ImageFile } from '../pipeline/watch.js';

export interface DaemonEventMap {
  /** An image's result, journalled (msg is what is published on `result`). */
  result: { file: ImageFile; result: ImageResult; msg: OutMsg };
  /** An image that failed, journalled (msg is the `error` message). */
  error: { file: ImageFile; error: StageError | null; msg: OutMsg };
  /** An alert lifecycle event, journalled (new, update, end). */
  alert: { event: AlertEvent; msg: OutMsg };
  /** A stall alert ("nothing is arriving", agent/stall/), journalled (new, end). */
  stall: { msg: OutMsg };
}

type Listener<K extends keyof DaemonEventMap> = (e: DaemonEventMap[K]) => void;

export class DaemonEvents {
  private readonly listeners: { [K in keyof DaemonEventMap]: Listener<K>[] } = { result: [], error: [], alert: [], stall: [] };

  constructor(private readonly log: Logger) {}

  /** Returns the unsubscribe. */
  on<K extends keyof DaemonEventMap>(name: K, fn: Listener<K>): () => void {
    const list = this.listeners[name] as Listener<K>[];
    list.push(fn);
    return () => { const i = list.indexOf(fn); if (i >= 0) list.splice(i, 1); };
  }

  emit<K extends keyof DaemonEventMap>(name: K, e: DaemonEventMap[K]): void {
    for (const fn of [...(this.listeners[name] as Listener<K>[])]) {
      try { fn(e); } catch (err) { this.log.error('daemon event listener failed', { event: name, error: err }); }
    }
  }
}
