/**
 * node-cron writes its own coloured, non-JSON lines to the console (e.g. "[NODE-CRON] [WARN]
 * missed execution at ..." when the event loop was busy): journald and log shippers expect
 * JSON lines only (issue 14, item 10). The schedules route them through the project's logger.
 */
import test from 'ava';
import { createLogger } from '../../agent/log.js';
import { startSchedules } from '../../agent/pipeline/schedule.js';
import { waitFor } from '../helpers/broker.js';

test('missed executions (event loop blocked) are JSON log lines, and node-cron writes nothing to the console', async (t) => {
  const lines: string[] = [];
  const log = createLogger({ level: 'debug', write: (l) => lines.push(l) });
  const consoleLines: string[] = [];
  const saved = { warn: console.warn, error: console.error, info: console.info, log: console.log, debug: console.debug };
  for (const k of Object.keys(saved) as (keyof typeof saved)[]) console[k] = (...a: unknown[]) => { consoleLines.push(a.map(String).join(' ')); };
  let runs = 0;
  const s = startSchedules([{ name: 'status', expression: '* * * * * *', run: () => { runs++; } }], log);
  try {
    await waitFor(() => runs >= 1, 5000, 'first run');
    const until = Date.now() + 3500;
    while (Date.now() < until) { /* a long decode on the main thread */ }
    await waitFor(() => lines.some((l) => l.includes('missed')), 5000, 'missed execution logged');
  } finally {
    await s.stop();
    Object.assign(console, saved);
  }
  t.deepEqual(consoleLines.filter((l) => /NODE-CRON|missed/i.test(l)), [], 'nothing from node-cron on the console');
  for (const l of lines) t.notThrows(() => JSON.parse(l), l);
  const missed = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => String(r.msg).includes('missed'));
  t.true(missed.length >= 1);
  t.is(missed[0]!.level, 'warn');
  t.is(missed[0]!.job, 'status');
});
