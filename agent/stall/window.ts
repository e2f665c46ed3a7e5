/**
 * A session window "HH:MM-HH:MM" in the agent's local time (the microscope's working day, as
 * the staff say it), possibly across midnight ("22:00-06:00"); "always" is every minute.
 * Bad input is a clear error naming the setting, never a crash later.
 */
export interface SessionWindow {
  /** Whether t (ms since epoch) lies inside the window. */
  contains(t: number): boolean;
  /** When the window containing t opened (ms); t itself when t is outside. */
  openedAt(t: number): number;
  readonly text: string;
}

const HHMM = /^([01]?\d|2[0-3]):([0-5]\d)$/;

function minutesOf(s: string, setting: string): number {
  const m = HHMM.exec(s.trim());
  if (!m) throw new Error(`${setting}: "${s}" is not a time HH:MM (00:00 to 23:59)`);
  return Number(m[1]) * 60 + Number(m[2]);
}

export function parseWindow(text: string, setting = 'stall.window'): SessionWindow {
  if (text.trim() === 'always') return { text, contains: () => true, openedAt: () => Number.NEGATIVE_INFINITY };
  const parts = text.split('-');
  if (parts.length !== 2) throw new Error(`${setting}: expected "HH:MM-HH:MM" (e.g. 08:00-18:00) or "always", got "${text}"`);
  const from = minutesOf(parts[0]!, setting);
  const to = minutesOf(parts[1]!, setting);
  if (from === to) throw new Error(`${setting}: "${text}" is empty (start equals end); use "always" for all day`);
  const minuteOfDay = (t: number) => { const d = new Date(t); return d.getHours() * 60 + d.getMinutes() + d.getSeconds() / 60 + d.getMilliseconds() / 60_000; };
  const inside = (m: number) => (from < to ? m >= from && m < to : m >= from || m < to);
  return {
    text,
    contains: (t) => inside(minuteOfDay(t)),
    openedAt: (t) => {
      const m = minuteOfDay(t);
      if (!inside(m)) return t;
      const back = m >= from ? m - from : m + 1440 - from; // minutes since the window opened
      return t - back * 60_000;
    },
  };
}
