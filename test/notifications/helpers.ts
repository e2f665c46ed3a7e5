/** Shared parts of the notification tests: the daemon tests' manual clock, a log that keeps its lines, alert/error messages as the daemon publishes them. */
import { randomUUID } from 'node:crypto';
import { DaemonEvents } from '../../agent/daemon/events.js';
import { createLogger, type Logger } from '../../agent/log.js';
import type { Delivery } from '../../agent/notifications/delivery.js';
import type { Notice } from '../../agent/notifications/notice.js';
import type { OutMsg } from '../../agent/pipeline/outbox.js';

/** The daemon tests' manual clock: one implementation for both. */
export { ManualClock } from '../daemon/helpers.js';

/** A log that keeps its lines; logged(re) resolves at the first line (already written or to come) matching re. */
export function capture(): { lines: string[]; log: Logger; logged(re: RegExp): Promise<string> } {
  const lines: string[] = [];
  const waiting: { re: RegExp; resolve: (l: string) => void }[] = [];
  const write = (l: string) => {
    lines.push(l);
    for (const w of [...waiting]) if (w.re.test(l)) { waiting.splice(waiting.indexOf(w), 1); w.resolve(l); }
  };
  const logged = (re: RegExp) => new Promise<string>((resolve) => {
    const hit = lines.find((l) => re.test(l));
    if (hit) resolve(hit); else waiting.push({ re, resolve });
  });
  return { lines, log: createLogger({ write }), logged };
}

export const events = (log: Logger) => new DaemonEvents(log);

let seq = 0;
function msg(topic: string, instrument: string, ts: number, body: Record<string, unknown>): OutMsg {
  const msg_id = randomUUID();
  return { topic, msg_id, seq: ++seq, payload: { schema: { name: topic, version: 1 }, msg_id, seq, ts: new Date(ts).toISOString(), instrument, ...body } };
}

export function alertMsg(state: 'new' | 'update' | 'end', alertId: string, ts: number, extra: Record<string, unknown> = {}, instrument = 'tem-1'): OutMsg {
  return msg('alert', instrument, ts, {
    state, alert_id: alertId, started: new Date(ts).toISOString(), low_images: 3, images: 3, mean_f1: 0.31, min_f1: 0.22, threshold: 0.5,
    last_image: 'session/img-0042.tif', hint: 'few confident detections: check focus and astigmatism', ...extra,
  });
}

export function errorMsg(ts: number, code = 'corrupt', instrument = 'tem-1'): OutMsg {
  return msg('error', instrument, ts, { stage: 'decode', code, class: 'input', message: 'not a PNG', image: { path: '/data/x.png', rel: 'x.png' } });
}

/** Emits an alert event the way the worker does. */
export function emitAlert(ev: DaemonEvents, m: OutMsg): void {
  ev.emit('alert', { event: m.payload as never, msg: m });
}

/** Resolves with the first n notices a delivery settles (sent, failed or dropped). */
export function settled(d: Delivery, n: number): Promise<{ notice: Notice; outcome: string }[]> {
  const got: { notice: Notice; outcome: string }[] = [];
  return new Promise((resolve) => {
    d.onSettled = (notice, outcome) => {
      got.push({ notice, outcome });
      if (got.length === n) resolve(got);
    };
  });
}
