/**
 * Quiet hours: "22:00-07:00" (a window may wrap past midnight) in an IANA time zone, or the
 * machine's own when none is given. A bad value is a clear error at start, never a crash later.
 */
export interface QuietHours {
  /** True when the instant (ms since epoch) falls inside the window. */
  contains(ms: number): boolean;
}

const HHMM = /^([01]?\d|2[0-3]):([0-5]\d)$/;

export function parseQuietHours(spec: string | null, timeZone: string | null, setting = 'notify.quiet_hours'): QuietHours | null {
  if (spec === null || spec.trim() === '') return null;
  const [a, b, ...rest] = spec.split('-').map((s) => s.trim());
  const from = a?.match(HHMM);
  const to = b?.match(HHMM);
  if (!from || !to || rest.length) throw new Error(`${setting}: expected HH:MM-HH:MM (e.g. 22:00-07:00), got "${spec}"`);
  const start = Number(from[1]) * 60 + Number(from[2]);
  const end = Number(to[1]) * 60 + Number(to[2]);
  const minuteOf = minuteOfDay(timeZone);
  return {
    contains: (ms) => {
      const m = minuteOf(ms);
      return start <= end ? m >= start && m < end : m >= start || m < end;
    },
  };
}

function minuteOfDay(timeZone: string | null): (ms: number) => number {
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-GB', { timeZone: timeZone ?? undefined, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  } catch {
    throw new Error(`notify.quiet_tz: unknown time zone "${timeZone}" (expected an IANA name such as Europe/Berlin)`);
  }
  return (ms) => {
    const parts = fmt.formatToParts(ms);
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
    return get('hour') * 60 + get('minute');
  };
}
