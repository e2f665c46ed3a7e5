/**
 * The daemon's stall alert: a StallWatch checked on the injected clock, told of every image the
 * watcher sees, publishing its new/end as `alert` messages of kind "stall" (alert-stall.schema.json)
 * through the journal, like the low-F1 alert. Off (null) when stall.minutes is 0.
 */
import type { Clock } from '../daemon/clock.js';
import type { Logger } from '../log.js';
import { StallWatch, type StallEvent } from './watch.js';
import { parseWindow } from './window.js';

export interface StallDeps {
  minutes: number;
  window: string;
  clock: Clock;
  /** Journal and publish one stall alert body. */
  publish: (ev: StallEvent) => void;
  log: Logger;
}

export interface DaemonStall {
  arrived(rel: string): void;
  readonly current: StallEvent | null;
  stop(): void;
}

/** Checks at most every 30 s, and at least four times per quiet period, so a stall is late by a quarter of it at worst. */
export function startStall(d: StallDeps): DaemonStall | null {
  if (d.minutes <= 0) return null;
  const watch = new StallWatch({ minutes: d.minutes, window: parseWindow(d.window), now: () => d.clock.now() });
  const send = (ev: StallEvent | null): void => {
    if (!ev) return;
    if (ev.state === 'new') d.log.warn('stall: no new image', { minutes: ev.minutes, window: ev.window, last_image: ev.last_image });
    else d.log.info('stall ended', { image: ev.last_image });
    d.publish(ev);
  };
  const cancel = d.clock.every(Math.min(30_000, d.minutes * 15_000), () => send(watch.check()));
  return { arrived: (rel) => send(watch.arrived(rel)), get current() { return watch.current; }, stop: cancel };
}
