/**
 * Webhook channel: one JSON POST per notice. `text` is what Slack, Mattermost and Microsoft
 * Teams (incoming webhooks) display; `temguard` carries the same facts for machines. A 5xx,
 * 408, 429 or a network failure is retried by the Delivery; another 4xx is permanent. The
 * URL is not logged (Slack-style URLs carry their token in the path).
 */
import type { Notice } from './notice.js';
import { PermanentError, type Channel } from './delivery.js';

export interface WebhookOptions {
  url: string;
  timeoutMs: number;
}

export function webhookBody(n: Notice): Record<string, unknown> {
  return {
    text: n.text,
    temguard: { category: n.category, state: n.state, instrument: n.instrument, ts: n.ts, title: n.title, message: n.payload },
  };
}

export function webhookChannel(o: WebhookOptions): Channel {
  return {
    name: 'webhook',
    send: async (n) => {
      let res: Response;
      try {
        res = await fetch(o.url, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify(webhookBody(n)), signal: AbortSignal.timeout(o.timeoutMs),
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause;
        throw new Error(`webhook unreachable: ${cause?.code ?? (err as Error).name}`);
      }
      await res.body?.cancel().catch(() => undefined); // the reply's content is not used
      if (res.ok) return;
      const retry = res.status >= 500 || res.status === 408 || res.status === 429;
      const msg = `webhook answered HTTP ${res.status}`;
      throw retry ? new Error(msg) : new PermanentError(msg);
    },
  };
}
