/**
 * The embedded broker: aedes in-process on a loopback port, so `npm start` works with no
 * broker installed and dashboards on the same machine can still subscribe. aedes 1.2 speaks
 * MQTT 3.1.1 only, so the agent's own client negotiates protocol 4 with it.
 *
 * Anyone on the machine can reach a loopback port, and anything published on `result` is
 * shown by dashboards: the broker takes loopback clients only (even if bound wider), and with
 * `auth` every client must log in with that username and password (mqtt.username and
 * mqtt.password_file / password_env, the credentials the agent's own client uses).
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
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

export interface EmbeddedAuth { username: string; password: string }

export function isLoopbackAddress(addr: string | undefined): boolean {
  return !!addr && (/^127\./.test(addr) || addr === '::1' || /^::ffff:127\./i.test(addr));
}

export async function startEmbeddedBroker(host: string, port: number, log: Logger, auth?: EmbeddedAuth): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker(auth ? {
    authenticate: (_client, username, password, done) => {
      if (username === auth.username && password !== undefined && sameSecret(password, auth.password)) return done(null, true);
      log.warn('embedded broker: refused a client with wrong credentials', { username: username ?? null });
      done(Object.assign(new Error('Bad username or password'), { returnCode: 4 }) as never, false);
    },
  } : {});
  let refusedLogged = false;
  const server: Server = createServer((socket: Socket) => {
    if (!isLoopbackAddress(socket.remoteAddress)) {
      if (!refusedLogged) { refusedLogged = true; log.warn('embedded broker: refusing clients that are not on this machine (use a site broker for those)', { from: socket.remoteAddress }); }
      socket.destroy();
      return;
    }
    aedes.handle(socket);
  });
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
  log.info('embedded broker listening', { url: `mqtt://${host}:${actual}`, protocol: '3.1.1', clients: 'loopback only', login: auth ? 'required' : 'none' });
  return {
    host,
    port: actual,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sameSecret(given: Buffer, want: string): boolean {
  const w = Buffer.from(want, 'utf8');
  return given.length === w.length && timingSafeEqual(given, w);
}
