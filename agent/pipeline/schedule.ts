/**
 * Periodic jobs on node-cron: the status heartbeat, the digest and state pruning. Each job
 * is a plain function; a job that throws is logged and the schedule goes on. node-cron's own
 * messages (missed executions, overlaps) go through our JSON logger: left to itself it writes
 * coloured plain-text lines to the console, which journald's JSON readers cannot parse.
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
  const tasks: ScheduledTask[] = jobs.map((j) => {
    const task = cron.schedule(j.expression, async () => {
      try { await j.run(); } catch (err) { log.error('scheduled job failed', { job: j.name, error: err }); }
    }, { name: j.name, noOverlap: true, logger: cronLogger(log.child({ job: j.name })) });
    // Handled here, node-cron does not print its own warning.
    task.on('execution:missed', (ctx: { date?: Date }) => log.warn('scheduled job missed its time (the event loop was busy: a long decode or detection?)', { job: j.name, at: ctx?.date?.toISOString?.() }));
    return task;
  });
  return { stop: async () => { for (const t of tasks) await t.stop(); for (const t of tasks) await t.destroy(); } };
}

/** node-cron's logger interface onto ours. */
function cronLogger(log: Logger) {
  const text = (m: unknown) => (m instanceof Error ? m.message : String(m));
  return {
    info: (m: string) => log.debug(`node-cron: ${text(m)}`),
    warn: (m: string) => log.warn(`node-cron: ${text(m)}`),
    error: (m: string | Error, err?: Error) => log.error(`node-cron: ${text(m)}`, { error: err ?? (m instanceof Error ? m : undefined) }),
    debug: (m: string | Error) => log.debug(`node-cron: ${text(m)}`),
  };
}
