/**
 * The live view's HTTP server. It is an ordinary MQTT subscriber of `<root>/#` (so it works
 * the same with the embedded broker or a site broker and knows nothing of the pipeline),
 * keeps a bounded picture of what the agent said (state.ts), and serves:
 *
 *   GET /                     the page (agent/web/page, read once at start)
 *   GET /app.js, /style.css   its assets
 *   GET /api/state            JSON snapshot: history, latest result, status, alert, info, errors
 *   GET /events               server-sent events: result, status, alert, image-error, availability, info, link
 *   GET /overlay/latest.png   the newest image this agent analysed, with its detections (.jpg too)
 *   GET /overlay/<sha256>.png the same for one of the last few
 *   GET /api/labels/suggest   images worth labelling next (agent/labels/suggest.ts)
 *   GET /api/labels/<sha256>  one image's detections and label so far
 *   GET /facility             every instrument under <prefix>/+/... at a glance (facility.ts; /api/facility)
 *   GET /metrics              Prometheus metrics, when the daemon passes its registry (agent/metrics/)
 *   POST /api/labels          a label {sha256, action, wrong?, added?} (JSON only: a cross-site form cannot send it)
 *
 * Security: binds exactly where `listen` says (bound to loopback, it also only answers
 * requests addressed to a loopback name); no path from a URL or from an MQTT message is
 * ever used to open a file (assets are a fixed in-memory table; overlays are drawn only for
 * images the daemon itself analysed (own-images.ts), whose real path is inside the watch
 * directory, and only when the bytes still hash to what was analysed); the page renders
 * every string as text, under a strict Content-Security-Policy.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../log.js';
import { PACKAGE_ROOT } from '../paths.js';
import type { DecodeOptions } from '../pipeline/decode.js';
import type { PublisherOptions } from '../pipeline/publish.js';
import { OverlayService, type OverlayFormat } from './overlays.js';
import type { OwnImages } from './own-images.js';
import { handleLabels, type LabelApi } from './labels.js';
import { LiveState, type LiveEvent } from './state.js';
import type { Registry } from 'prom-client';
import { serveMetrics } from '../metrics/http.js';
import { startFacility } from './facility.js';

export interface WebServerOptions {
  /** "127.0.0.1:8080", "[::1]:8080" (host:port; port 0 = pick a free one). */
  listen: string;
  /** Where to subscribe, e.g. mqtt://127.0.0.1:1883. */
  mqttUrl: string;
  /** Credentials/TLS/protocolVersion passed through (clientId, will and clean are set here). */
  mqttOptions?: IClientOptions;
  /** "temguard/<instrument>" */
  root: string;
  /** Results kept for the chart (default 500). */
  history?: number;
  /**
   * The images this agent analysed (filled by the daemon): the only ones whose overlays are
   * served. Without it no overlay is served: paths in MQTT results are not trusted.
   */
  own?: OwnImages;
  /** Longest side of an overlay in pixels (default 1024). */
  overlayMaxSide?: number;
  /** A broker that refused the credentials is asked again after this long (default 30 s). */
  authRetryMs?: number;
  /** Decoder limits/overrides, the daemon's own (so the view decodes what the agent decoded). */
  decode?: DecodeOptions;
  /** The agent's labelling service; without it the label endpoints answer 404. */
  labels?: LabelApi;
  /** The agent's Prometheus registry: served at GET /metrics (agent/metrics/); without it /metrics answers 404. */
  metrics?: Registry;
  log: Logger;
}

export interface WebServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The page's static files, by URL path; nothing else is ever read from disk by URL. */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/histogram.js': { file: 'histogram.js', type: 'text/javascript; charset=utf-8' },
  '/labels.js': { file: 'labels.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export const PAGE_DIR = join(PACKAGE_ROOT, 'agent', 'web', 'page');

/** Open /events streams at most: each is a socket held open. A new one closes the oldest. */
export const MAX_STREAMS = 64;

/** A stream closed to make room asks its browser to come back after this long (SSE `retry`). */
const EVICTED_RETRY_MS = 60_000;

export class ListenError extends Error {
  override name = 'ListenError';
}

/** "host:port" -> parts; IPv6 in brackets. A clear error for anything else. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new ListenError(`http.listen (--http): expected HOST:PORT (e.g. 127.0.0.1:8080, port 0 = any free port), got "${listen}"`);
  return { host: m[1] ?? m[2]!, port };
}

/** The daemon's publisher settings -> options for a second, read-only client (same credentials and TLS). */
export function webMqttOptions(p: PublisherOptions): IClientOptions {
  return {
    protocolVersion: p.protocolVersion, username: p.username, password: p.password,
    ca: p.ca, cert: p.cert, key: p.key, rejectUnauthorized: p.rejectUnauthorized,
    keepalive: p.keepalive, reconnectPeriod: p.reconnectMs,
  };
}

export async function startWebServer(o: WebServerOptions): Promise<WebServer> {
  const { host, port } = parseListen(o.listen);
  // Bound to loopback, the page must also be asked for by a loopback name: a web page elsewhere
  // could otherwise point its own host name at 127.0.0.1 (DNS rebinding) and read the view.
  const loopbackOnly = isLoopbackName(host);
  const log = o.log;
  const assets = loadAssets();
  const state = new LiveState({ root: o.root, history: o.history ?? 500 });
  const overlays = new OverlayService({ maxSide: o.overlayMaxSide, cache: 2 * (o.own?.max ?? 8), decode: o.decode });
  const clients = new Set<ServerResponse>(); // insertion order: oldest first
  let evictionLogged = false;
  const broadcast = (ev: LiveEvent | null): void => {
    if (!ev) return;
    const frame = `event: ${ev.event}\ndata: ${JSON.stringify(ev.data)}\n\n`;
    for (const res of clients) res.write(frame);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      log.error('web request failed', { url: req.url, error: err });
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (loopbackOnly && !isLoopbackHost(req.headers.host)) return sendJson(res, 403, { error: 'this live view only answers to localhost, 127.0.0.1 or [::1] (it is bound to loopback)' });
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path.startsWith('/api/labels')) return handleLabels(req, res, path, o.labels, sendJson);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: `method ${req.method} not allowed` }, { allow: 'GET, HEAD' });
    const asset = assets.get(path);
    if (asset) return send(res, 200, asset.type, asset.body, { 'cache-control': 'no-cache' }, req.method === 'HEAD');
    if (path === '/api/state') return sendJson(res, 200, state.snapshot());
    if (path === '/metrics' && o.metrics) return serveMetrics(o.metrics, req, res);
    const fac = facility.route(path);
    if (fac) return 'json' in fac ? sendJson(res, 200, fac.json) : send(res, 200, fac.type, fac.body, { 'cache-control': 'no-cache' }, req.method === 'HEAD');
    if (path === '/events') return req.method === 'HEAD' ? send(res, 200, 'text/event-stream', '', {}, true) : openStream(req, res);
    const m = /^\/overlay\/(latest|[0-9a-f]{64})\.(png|jpe?g)$/.exec(path);
    if (m) return serveOverlay(res, m[1] === 'latest' ? undefined : m[1], m[2] === 'png' ? 'png' : 'jpeg', req.method === 'HEAD');
    return sendJson(res, 404, { error: `no such page: ${path.slice(0, 100)}` });
  };

  const openStream = (req: IncomingMessage, res: ServerResponse): void => {
    // Refusing the newest would let 64 idle sockets lock every browser out: close the oldest.
    for (const old of clients) {
      if (clients.size < MAX_STREAMS) break;
      clients.delete(old);
      const reason = `more than ${MAX_STREAMS} live views are open: this, the oldest, was closed to make room; it reconnects in ${EVICTED_RETRY_MS / 1000} s (or reload)`;
      old.end(`retry: ${EVICTED_RETRY_MS}\nevent: evicted\ndata: ${JSON.stringify({ reason })}\n\n`);
      if (!evictionLogged) { evictionLogged = true; log.warn('too many live view streams: closing the oldest for each new one', { max: MAX_STREAMS }); }
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    // The browser reconnects by itself after `retry` ms; the page re-reads /api/state on each open.
    res.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ root: o.root })}\n\n`);
    clients.add(res);
    req.on('close', () => clients.delete(res));
  };

  const serveOverlay = async (res: ServerResponse, sha: string | undefined, format: OverlayFormat, head: boolean): Promise<void> => {
    const src = o.own?.source(sha) ?? null;
    if (!src) return sendJson(res, 404, { error: sha ? `image ${sha} is not among the last ${o.own?.max ?? 0} images this agent analysed` : 'no image analysed by this agent yet' });
    const where = await o.own!.locate(src);
    if (!where.ok) return sendJson(res, 404, { error: where.reason, image: src.rel });
    const out = await overlays.get({ ...src, path: where.path }, format);
    if (!out.ok) return sendJson(res, 404, { error: out.reason, image: src.rel });
    // latest changes with every result; a hash-named overlay never does.
    const cache = sha ? 'private, max-age=3600, immutable' : 'no-cache';
    send(res, 200, format === 'png' ? 'image/png' : 'image/jpeg', out.body, { 'cache-control': cache, 'x-temguard-image': encodeURIComponent(src.rel), 'x-temguard-sha256': src.sha256 }, head);
  };

  const heartbeat = setInterval(() => { for (const res of clients) res.write(': keep-alive\n\n'); }, 15_000);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new ListenError(`http.listen (--http): cannot listen on ${o.listen}: ${err.code ?? err.message}`)));
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}/`;

  const client = subscribe(o, state, broadcast, log);
  // Started once listening (a failed listen leaks no client): the facility page follows every
  // instrument beside this one, <prefix>/+/... (facility.ts).
  const facility = startFacility({ mqttUrl: o.mqttUrl, mqttOptions: o.mqttOptions, prefix: o.root.includes('/') ? o.root.slice(0, o.root.lastIndexOf('/')) : o.root, log });
  log.info('live view listening', { url, topics: `${o.root}/#` });

  return {
    url,
    close: async () => {
      clearInterval(heartbeat);
      await facility.close();
      for (const res of clients) res.end();
      clients.clear();
      await client.endAsync(true).catch(() => undefined);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The server's own MQTT client: reads `<root>/#`, reconnects by itself, never publishes. */
function subscribe(o: WebServerOptions, state: LiveState, broadcast: (ev: LiveEvent | null) => void, log: Logger): MqttClient {
  const client = mqtt.connect(o.mqttUrl, {
    reconnectPeriod: 2000, connectTimeout: 10_000, ...o.mqttOptions,
    // Its own identity: reusing the agent's client id would disconnect the agent's publisher.
    clientId: `temguard-web-${randomBytes(4).toString('hex')}`, clean: true, will: undefined,
  });
  const prefix = `${o.root}/`;
  client.on('connect', () => {
    client.subscribe(`${o.root}/#`, { qos: 1 }, (err) => {
      if (err) log.warn('live view cannot subscribe', { error: err });
    });
    broadcast(state.setLink(true, null));
  });
  client.on('close', () => broadcast(state.setLink(false, state.snapshot().link.error)));
  client.on('error', (err: Error & { code?: string | number }) => {
    const ev = state.setLink(false, err.message);
    // Once per change, not once per reconnect attempt: wrong credentials would flood the log.
    if (ev) log.warn('live view cannot read the broker; it keeps retrying', { url: o.mqttUrl.replace(/\/\/[^@/]*@/, '//***@'), error: err.message });
    broadcast(ev);
    // MQTT.js gives up after a refused CONNECT (reconnectOnConnackError is off): ask again
    // slowly, so fixing the credentials at the broker is enough (and the error then clears).
    if (typeof err.code === 'number' && err.code !== 0) {
      setTimeout(() => { if (!client.connected && !client.disconnecting && !client.disconnected) client.reconnect(); }, o.authRetryMs ?? 30_000).unref();
    }
  });
  client.on('message', (topic, payload) => {
    if (!topic.startsWith(prefix)) return;
    let msg: unknown;
    try { msg = JSON.parse(payload.toString('utf8')); } catch { log.debug('live view: ignored non-JSON message', { topic }); return; }
    broadcast(state.ingest(topic.slice(prefix.length), msg));
  });
  return client;
}

function isLoopbackName(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The Host header's name (port and IPv6 brackets removed) is a loopback name. */
function isLoopbackHost(header: string | undefined): boolean {
  if (!header) return false;
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::\d+)?$/.exec(header.trim().toLowerCase());
  return m !== null && isLoopbackName(m[1] ?? m[2]!);
}

function loadAssets(): Map<string, { type: string; body: Buffer }> {
  const out = new Map<string, { type: string; body: Buffer }>();
  for (const [path, a] of Object.entries(ASSETS)) out.set(path, { type: a.type, body: readFileSync(join(PAGE_DIR, a.file)) });
  return out;
}

function send(res: ServerResponse, status: number, type: string, body: Buffer | string, headers: Record<string, string> = {}, head = false): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': String(buf.length), ...headers });
  res.end(head ? undefined : buf);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body), { 'cache-control': 'no-store', ...headers });
}
