/**
 * The detector and forest the worker uses. A wrong or missing model does not kill the agent:
 * the slot records why, the daemon stays up degraded (images wait on disk), and retryIfDue()
 * tries again every retryMs, so fixing the file is enough.
 */
import type { Logger } from '../log.js';
import type { Detector } from '../pipeline/detect.js';
import type { Forest } from '../pipeline/forest.js';
import type { Clock } from './clock.js';

export interface ModelLoaders {
  detector(): Promise<Detector>;
  forest(): Promise<Forest>;
}

export interface ModelSlotOptions {
  load: ModelLoaders;
  log: Logger;
  clock: Clock;
  retryMs?: number;
  /** Both models are in (also after a retry): republish info, resume the queue. */
  onLoaded?: () => void;
  /** A new reason for failing (not repeated while the reason stays the same). */
  onFailed?: (err: Error) => void;
}

export const MODEL_RETRY_MS = 30_000;

export class ModelSlot {
  detector: Detector | null = null;
  forest: Forest | null = null;
  error: string | null = null;
  private lastTry: number;

  constructor(private readonly o: ModelSlotOptions) { this.lastTry = o.clock.now(); }

  get ready(): boolean { return this.detector !== null && this.forest !== null && this.error === null; }

  async load(): Promise<boolean> {
    this.lastTry = this.o.clock.now();
    try {
      this.detector ??= await this.o.load.detector();
      this.forest ??= await this.o.load.forest();
      const pairing = checkPairing(this.detector, this.forest);
      if (!pairing.matches) this.o.log.warn('the forest was trained on another detector\'s outputs: its predicted F1 is not calibrated for this one (build a table with `temguard dataset` and `temguard train`)', { detector: this.detector.model.name, trained_on: pairing.trained_on });
      if (this.error) this.o.log.info('models loaded; resuming', {});
      this.error = null;
      this.o.onLoaded?.();
      return true;
    } catch (err) {
      const msg = (err as Error).message;
      if (msg !== this.error) {
        this.o.log.error('cannot load models; agent stays up, degraded, and retries every 30 s', { error: msg });
        this.error = msg;
        this.o.onFailed?.(err as Error);
      }
      this.error = msg;
      return false;
    }
  }

  /** While degraded: one more try once retryMs has passed since the last. */
  async retryIfDue(): Promise<void> {
    if (this.error && this.o.clock.now() - this.lastTry >= (this.o.retryMs ?? MODEL_RETRY_MS)) await this.load();
  }

  async close(): Promise<void> { await this.detector?.close(); }
}

/**
 * Whether the forest learnt from this detector's outputs (its manifest lists the detectors'
 * sha256). A forest read over another detector's confidences predicts an F1 that means little.
 */
export function checkPairing(detector: Detector, forest: Forest): { matches: boolean; trained_on: { name: string; sha256: string }[] } {
  const trainedOn = ((forest.manifest.training as { detectors?: { name: string; sha256: string }[] } | undefined)?.detectors) ?? [];
  return { matches: trainedOn.length === 0 || trainedOn.some((d) => d.sha256 === detector.model.sha256), trained_on: trainedOn };
}
