/**
 * The live view's label endpoints, on the agent's labelling service (agent/labels). Only
 * JSON is accepted for the POST: a browser sends a cross-site `application/json` request
 * only after a CORS preflight, which this server never grants, so another web page cannot
 * label on the operator's behalf. Bodies are bounded; a bad label is a 400 with the reason.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LabelService } from '../labels/service.js';
import { LabelError } from '../labels/request.js';

export type LabelApi = Pick<LabelService, 'submit' | 'image' | 'suggestions'>;

/** A label with a few hundred added boxes fits many times over. */
export const MAX_LABEL_BODY = 256 * 1024;

type SendJson = (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => void;

export async function handleLabels(req: IncomingMessage, res: ServerResponse, path: string, api: LabelApi | undefined, sendJson: SendJson): Promise<void> {
  // The page asks for suggestions on every load: without an agent behind it that is an answer, not an error.
  if (!api && path === '/api/labels/suggest' && req.method === 'GET') return sendJson(res, 200, { available: false, suggestions: [] });
  if (!api) return sendJson(res, 404, { error: 'labelling is not available (this view is not served by an agent)' });
  if (path === '/api/labels' && req.method === 'POST') return post(req, res, api, sendJson);
  if (req.method !== 'GET') return sendJson(res, 405, { error: `method ${req.method} not allowed` }, { allow: path === '/api/labels' ? 'POST' : 'GET' });
  if (path === '/api/labels/suggest') return sendJson(res, 200, { available: true, suggestions: api.suggestions() });
  const m = /^\/api\/labels\/([0-9a-f]{64})$/.exec(path);
  const img = m ? api.image(m[1]!) : null;
  if (img) return sendJson(res, 200, img);
  return sendJson(res, 404, { error: m ? `image ${m[1]} is not among this agent's recent results or labels` : `no such page: ${path.slice(0, 100)}` });
}

async function post(req: IncomingMessage, res: ServerResponse, api: LabelApi, sendJson: SendJson): Promise<void> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return sendJson(res, 415, { error: 'send the label as application/json' });
  const body = await readBody(req);
  if (body === null) return sendJson(res, 413, { error: `label larger than ${MAX_LABEL_BODY} bytes` });
  let parsed: unknown;
  try { parsed = JSON.parse(body); } catch { return sendJson(res, 400, { error: 'the body is not JSON' }); }
  try {
    return sendJson(res, 200, { feedback: api.submit(parsed) });
  } catch (err) {
    if (err instanceof LabelError) return sendJson(res, 400, { error: err.message });
    throw err;
  }
}

/** The body as text, or null once it passes the limit (the rest is not read). */
async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_LABEL_BODY) return null;
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}
