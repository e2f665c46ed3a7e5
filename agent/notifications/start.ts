/**
 * The daemon's one call: notifications from the config, or null when no channel is configured
 * (the default). A bad setting or an unreadable secret fails the start with the setting named.
 */
import type { Config } from '../config/schema.js';
import { SetupError } from '../pipeline/mqtt-options.js';
import { Notifications, type NotificationsDeps } from './index.js';
import { channels, deliveryOptions, gateOptions } from './options.js';

export function notificationsFromConfig(cfg: Config, deps: NotificationsDeps, env: NodeJS.ProcessEnv): Notifications | null {
  try {
    const list = channels(cfg.notify, env);
    if (list.length === 0) return null;
    return new Notifications({ channels: list, on: cfg.notify.on, gate: gateOptions(cfg.notify), delivery: deliveryOptions(cfg.notify) }, deps);
  } catch (err) {
    throw err instanceof SetupError ? err : new SetupError((err as Error).message);
  }
}
