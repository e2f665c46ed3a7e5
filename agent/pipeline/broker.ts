/**
 * The embedded broker: aedes in-process on a loopback port, so `npm start` works with no
 * broker installed and dashboards on the same machine can still subscribe. aedes 1.2 speaks
 * MQTT 3.1.1 only, so the agent's own client negotiates protocol 4 with it.
 */
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from '../log.js';

export interface EmbeddedBroker {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Parses embedded://HOST:PORT (port 0 picks a free one). */
export function parseEmbeddedUrl(url: string): { host: string; port: number } {
  const u = new URL(url.replace(/^embedded:/, 'http:'));
  return { host: u.hostname || '127.0.0.1', port: u.port ? Number(u.port) : 1883 };
}

export async function startEmbeddedBroker(host: string, port: number, log: Logger): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new Error(err.code === 'EADDRINUSE'
          ? `embedded broker: ${host}:${port} is already in use (another temguard or broker?); choose another port with --mqtt embedded://${host}:PORT`
          : `embedded broker: cannot listen on ${host}:${port}: ${err.message}`)));
      server.listen(port, host, () => resolve());
    });
  } catch (err) {
    // aedes' timers would keep a process that failed to start alive (it ignored SIGTERM, too).
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    throw err;
  }
  const actual = (server.address() as { port: number }).port;
  log.info('embedded broker listening', { url: `mqtt://${host}:${actual}`, protocol: '3.1.1' });
  return {
    host,
    port: actual,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
