/**
 * The session statistics as a daemon side module: it follows the `result` events (each image
 * once, once journalled), gives the digest its `session` block, and writes the session
 * manifest to the state directory on every digest and at stop. "Session" is this agent run:
 * what an operator means by it at the microscope (restart the agent, start a new session).
 */
import type { DaemonEvents } from '../daemon/events.js';
import type { Logger } from '../log.js';
import type { ImageStatistics } from './image-stats.js';
import { writeManifest } from './manifest.js';
import { SessionStatistics, type SessionSummary } from './session.js';

export interface DaemonSession {
  summary(): SessionSummary;
  /** Writes session-manifest.csv/.json; a failure is logged, never thrown (the digest and the stop go on). */
  writeManifest(): Promise<void>;
}

export function startDaemonSession(d: { events: DaemonEvents; stateDir: string; now: () => number; log: Logger }): DaemonSession {
  const session = new SessionStatistics(new Date(d.now()));
  d.events.on('result', ({ result }) => {
    const stats = result.physics && 'count' in result.physics.statistics ? result.physics.statistics as ImageStatistics : null;
    session.observe({
      image: result.image.rel, sha256: result.image.sha256, f1: result.prediction.f1, threshold: result.prediction.threshold,
      defocus_um: result.physics?.defocus.defocus_um ?? null, stats,
    });
  });
  return {
    summary: () => session.summary(),
    async writeManifest() {
      try {
        const paths = await writeManifest(d.stateDir, session.entries, session.summary(), new Date(d.now()));
        d.log.debug('session manifest written', { ...paths, images: session.entries.length });
      } catch (err) {
        d.log.warn('session manifest not written', { error: (err as Error).message });
      }
    },
  };
}
