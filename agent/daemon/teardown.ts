/**
 * The teardown stack: each start step pushes its stop right after it has started, and stop
 * runs them in reverse, so a failed start undoes exactly what had started. A failing step is
 * logged and the rest still run.
 */
import type { Logger } from '../log.js';

export class Teardown {
  private readonly steps: { name: string; stop: () => Promise<void> | void }[] = [];

  constructor(private readonly log: Logger) {}

  push(stop: () => Promise<void> | void, name = 'step'): void { this.steps.push({ name, stop }); }

  async run(): Promise<void> {
    for (const s of this.steps.splice(0).reverse()) {
      try { await s.stop(); } catch (err) { this.log.error('stop step failed', { step: s.name, error: err }); }
    }
  }
}
