/**
 * Mail channel (SMTP through nodemailer): one plain-text mail per notice, the notice's title
 * as subject. Refused credentials and other 5xx answers are permanent (retrying would only
 * lock the account); a server that is down or answers 4xx is retried by the Delivery.
 */
import nodemailer from 'nodemailer';
import type { Notice } from './notice.js';
import { PermanentError, type Channel } from './delivery.js';

export interface MailOptions {
  host: string;
  port: number;
  /** Implicit TLS (port 465); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  requireTls: boolean;
  username?: string;
  password?: string;
  ca?: Buffer;
  rejectUnauthorized: boolean;
  from: string;
  to: string[];
  subjectPrefix: string;
  timeoutMs: number;
}

export function mailChannel(o: MailOptions): Channel {
  const transport = nodemailer.createTransport({
    host: o.host, port: o.port, secure: o.secure, requireTLS: o.requireTls,
    auth: o.username ? { user: o.username, pass: o.password ?? '' } : undefined,
    tls: { rejectUnauthorized: o.rejectUnauthorized, ca: o.ca },
    connectionTimeout: o.timeoutMs, greetingTimeout: o.timeoutMs, socketTimeout: o.timeoutMs,
    logger: false,
  });
  return {
    name: 'mail',
    send: async (n: Notice) => {
      try {
        await transport.sendMail({ from: o.from, to: o.to, subject: `${o.subjectPrefix} ${n.title}`.trim(), text: n.text });
      } catch (err) {
        const e = err as { code?: string; responseCode?: number; message?: string };
        const why = e.responseCode ? `SMTP ${e.responseCode}` : e.code ?? 'error';
        const msg = `mail not accepted: ${why}`;
        throw e.code === 'EAUTH' || (e.responseCode !== undefined && e.responseCode >= 500) ? new PermanentError(msg) : new Error(msg);
      }
    },
    close: () => transport.close(),
  };
}
