/**
 * Periodic jobs on node-cron: the status heartbeat, the digest and state pruning. Each job
 * is a plain function; a job that throws is logged and the schedule goes on.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../log.js';

export interface Job {
  name: string;
  expression: string;
  run: () => void | Promise<void>;
}

export class SetupScheduleError extends Error {}

export function startSchedules(jobs: Job[], log: Logger): { stop(): Promise<void> } {
  for (const j of jobs) {
    if (!cron.validate(j.expression)) throw new SetupScheduleError(`schedule.${j.name}: "${j.expression}" is not a valid cron expression (6 fields with seconds, or 5)`);
  }
  const tasks: ScheduledTask[] = jobs.map((j) =>
    cron.schedule(j.expression, async () => {
      try { await j.run(); } catch (err) { log.error('scheduled job failed', { job: j.name, error: err }); }
    }, { name: j.name, noOverlap: true }),
  );
  return { stop: async () => { for (const t of tasks) await t.stop(); for (const t of tasks) await t.destroy(); } };
}
