/**
 * What the operator said about alerts: `alert/ack` (seen: no more `update`s for this alert,
 * its `end` still comes) and `alert/snooze {minutes}` (no alert messages for that long; the
 * tracker keeps counting, so an alert still running when the snooze ends updates as usual).
 * An `end` is published only for an alert whose `new` was.
 */
import type { AlertEvent } from '../pipeline/alerts.js';
import type { Clock } from '../daemon/clock.js';
import { CommandError } from './registry.js';

export class AlertGate {
  private acked: string | null = null;
  private snoozedUntil: number | null = null;
  private readonly announced = new Set<string>(); // alert ids whose `new` was published

  constructor(private readonly clock: Clock) {}

  /** Whether this event is published. */
  pass(ev: AlertEvent): boolean {
    if (ev.state === 'end') {
      if (this.acked === ev.alert_id) this.acked = null;
      return this.announced.delete(ev.alert_id);
    }
    if (this.snoozed()) return false;
    if (ev.state === 'update') return this.announced.has(ev.alert_id) && this.acked !== ev.alert_id;
    this.announced.add(ev.alert_id);
    return true;
  }

  ack(current: { alert_id: string } | null, alertId?: string): { alert_id: string } {
    if (!current) throw new CommandError('no alert is active');
    if (alertId !== undefined && alertId !== current.alert_id) throw new CommandError(`alert ${alertId} is not the active one (${current.alert_id})`);
    this.acked = current.alert_id;
    return { alert_id: current.alert_id };
  }

  /** 0 ends a snooze. */
  snooze(minutes: number): { snoozed_until: string | null } {
    this.snoozedUntil = minutes > 0 ? this.clock.now() + minutes * 60_000 : null;
    return { snoozed_until: this.until() };
  }

  /** For `status`. */
  state(): { acknowledged: string | null; snoozed_until: string | null } {
    return { acknowledged: this.acked, snoozed_until: this.until() };
  }

  private snoozed(): boolean {
    if (this.snoozedUntil !== null && this.clock.now() >= this.snoozedUntil) this.snoozedUntil = null;
    return this.snoozedUntil !== null;
  }

  private until(): string | null { return this.snoozed() ? new Date(this.snoozedUntil!).toISOString() : null; }
}
