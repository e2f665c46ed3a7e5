/** The agent's own commands: alert/ack, alert/snooze, threshold/set. */
import type { Logger } from '../log.js';
import type { AlertGate } from './alert-gate.js';
import { requestSchema, type CommandRegistry } from './registry.js';
import type { LiveSettings, LiveValues } from './settings.js';

export interface BuiltinDeps {
  gate: AlertGate;
  settings: LiveSettings;
  /** The active alert, if any (AlertTracker.current). */
  currentAlert: () => { alert_id: string } | null;
  /** After a change the operator should see at once (the retained status). */
  changed: () => void;
  log: Logger;
}

export function registerBuiltinCommands(r: CommandRegistry, d: BuiltinDeps): void {
  r.register('alert/ack', requestSchema('alert/ack'), (p) => {
    const out = d.gate.ack(d.currentAlert(), p.alert_id as string | undefined);
    d.log.info('alert acknowledged', out);
    d.changed();
    return out;
  });
  r.register('alert/snooze', requestSchema('alert/snooze'), (p) => {
    const out = d.gate.snooze(p.minutes as number);
    d.log.info(out.snoozed_until ? 'alerts snoozed' : 'alert snooze ended', out);
    d.changed();
    return out;
  });
  r.register('threshold/set', requestSchema('threshold/set'), (p) => {
    const out = d.settings.set(p as Partial<LiveValues>);
    d.log.info('live settings changed', out);
    d.changed();
    return out;
  });
}
