/**
 * GET /metrics: the text exposition of one injected Registry. Shared by the live view's server
 * (one path among its pages) and the stand-alone `metrics.listen` listener (only this path).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export async function serveMetrics(registry: Registry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  const body = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export interface MetricsServer { readonly url: string; close(): Promise<void> }

/** A listener with /metrics only (no live view), on "host:port" (port 0: a free one). */
export async function startMetricsServer(listen: string, registry: Registry, onError: (err: unknown) => void): Promise<MetricsServer> {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  if (!m || Number(m[3]) > 65535) throw new Error(`metrics.listen: expected HOST:PORT (e.g. 127.0.0.1:9464), got "${listen}"`);
  const host = m[1] ?? m[2]!;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== '/metrics') { res.writeHead(404, { 'content-type': 'text/plain' }).end('only /metrics here\n'); return; }
    serveMetrics(registry, req, res).catch((err) => { onError(err); if (!res.headersSent) res.writeHead(500).end(); else res.destroy(); });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`metrics.listen: cannot listen on ${listen}: ${err.code ?? err.message}`)));
    server.listen(Number(m[3]), host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}/metrics`;
  return { url, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}
