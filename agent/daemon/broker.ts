/**
 * The embedded broker (embedded://HOST:PORT): aedes in-process on loopback. With
 * mqtt.username set it requires the same login the agent's own client uses. Returns the URL
 * clients connect to (mqtt://HOST:PORT, the port it actually got), or the site broker's URL.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { parseEmbeddedUrl, startEmbeddedBroker } from '../pipeline/broker.js';
import { publisherOptions } from '../pipeline/mqtt-options.js';
import type { Teardown } from './teardown.js';

export async function startBrokerIfEmbedded(cfg: Config, env: NodeJS.ProcessEnv | undefined, log: Logger, teardown: Teardown): Promise<{ url: string; embedded: boolean }> {
  if (!cfg.mqtt.url.startsWith('embedded://')) return { url: cfg.mqtt.url, embedded: false };
  const { host, port } = parseEmbeddedUrl(cfg.mqtt.url);
  const login = publisherOptions(cfg, cfg.mqtt.url, true, env);
  const broker = await startEmbeddedBroker(host, port, log.child({ component: 'broker' }), login.username ? { username: login.username, password: login.password ?? '' } : undefined);
  teardown.push(() => broker.close(), 'broker');
  return { url: `mqtt://${host}:${broker.port}`, embedded: true };
}
