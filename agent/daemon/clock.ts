/**
 * Time for the daemon's parts, injected: the model retry, the digest, housekeeping and the
 * watchdog read it, so their tests advance a manual clock instead of waiting real seconds.
 */
export interface Clock {
  now(): number;
  /** Calls fn every ms; returns the cancel. The timers never keep the process alive. */
  every(ms: number, fn: () => void | Promise<void>): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  every: (ms, fn) => {
    const timer = setInterval(() => { void fn(); }, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};
