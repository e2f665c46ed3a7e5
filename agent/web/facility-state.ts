/**
 * The facility view's picture: one row per instrument under `<prefix>/+/...`, from the same
 * retained and live messages every dashboard gets (availability, status, result, alert).
 * Bounded: at most `max` instruments (a topic storm cannot grow it without limit).
 */
export interface InstrumentRow {
  instrument: string;
  /** online / offline / stopped (availability), null until heard. */
  availability: string | null;
  /** status.state (e.g. running, paused), null until heard. */
  state: string | null;
  last_f1: number | null;
  last_low: boolean | null;
  last_image: string | null;
  /** The active alert (any kind), null when none. */
  alert: { alert_id: string; kind: string; started: string; hint: string | null } | null;
  /** ISO time of the last message from it. */
  ts: string | null;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const ID = /^[A-Za-z0-9_-]{1,64}$/;

export class FacilityState {
  private readonly rows = new Map<string, InstrumentRow>();

  constructor(private readonly prefix: string, private readonly max = 200) {}

  /** One MQTT message; returns whether the picture changed. */
  onMessage(topic: string, raw: Buffer): boolean {
    if (!topic.startsWith(`${this.prefix}/`)) return false;
    const [instrument, kind, ...rest] = topic.slice(this.prefix.length + 1).split('/');
    if (!instrument || !ID.test(instrument) || rest.length > 0 || !kind) return false;
    let m: unknown;
    try { m = JSON.parse(raw.toString('utf8')); } catch { return false; }
    if (!isObj(m)) return false;
    const row = this.row(instrument);
    if (!row) return false;
    row.ts = str(m.ts) ?? row.ts;
    if (kind === 'availability') row.availability = str(m.state) ?? row.availability;
    else if (kind === 'status') this.onStatus(row, m);
    else if (kind === 'result') this.onResult(row, m);
    else if (kind === 'alert') this.onAlert(row, m);
    else return false;
    return true;
  }

  snapshot(): InstrumentRow[] {
    return [...this.rows.values()].sort((a, b) => a.instrument.localeCompare(b.instrument)).map((r) => ({ ...r }));
  }

  private row(instrument: string): InstrumentRow | null {
    let r = this.rows.get(instrument);
    if (!r) {
      if (this.rows.size >= this.max) return null;
      r = { instrument, availability: null, state: null, last_f1: null, last_low: null, last_image: null, alert: null, ts: null };
      this.rows.set(instrument, r);
    }
    return r;
  }

  private onStatus(row: InstrumentRow, m: Record<string, unknown>): void {
    row.state = str(m.state) ?? row.state;
    // A view started mid-alert learns of it from the retained status.
    if (!row.alert && isObj(m.alert) && str(m.alert.alert_id)) row.alert = alertOf(m.alert);
  }

  private onResult(row: InstrumentRow, m: Record<string, unknown>): void {
    const p = m.prediction;
    if (!isObj(p) || typeof p.f1 !== 'number') return;
    row.last_f1 = p.f1;
    row.last_low = typeof p.low === 'boolean' ? p.low : null;
    row.last_image = isObj(m.image) ? str(m.image.rel) : null;
  }

  private onAlert(row: InstrumentRow, m: Record<string, unknown>): void {
    const id = str(m.alert_id);
    if (!id) return;
    if (m.state === 'end') { if (row.alert?.alert_id === id) row.alert = null; }
    else row.alert = alertOf(m);
  }
}

function alertOf(m: Record<string, unknown>): InstrumentRow['alert'] {
  return { alert_id: str(m.alert_id) ?? '', kind: str(m.kind) ?? 'low_f1', started: str(m.started) ?? '', hint: str(m.hint) };
}
