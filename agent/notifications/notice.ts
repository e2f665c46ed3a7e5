/**
 * What a notification is about, read off the messages the daemon publishes (the `alert` and
 * `error` events): one shape for every channel, so webhook and mail say the same thing.
 * Alerts of every kind (low predicted F1, stall, whatever comes next) are one category: an
 * alert's `kind` field names it, and the cooldown is kept per instrument and kind, not per
 * alert_id, because a flapping alert gets a new id every time it starts.
 */
export type NoticeCategory = 'alert' | 'alert_update' | 'error';

export interface Notice {
  category: NoticeCategory | 'digest';
  /** new / update / end for alerts; null otherwise. */
  state: 'new' | 'update' | 'end' | null;
  instrument: string;
  /** ISO-8601 UTC, from the message. */
  ts: string;
  /** Cooldown key: instrument + alert kind, or instrument + error stage + code. */
  key: string;
  /** alert_id, so an alert's end goes wherever its start went. */
  alertId: string | null;
  /** One line: the subject of a mail, the first line of a chat message. */
  title: string;
  /** The full plain text (chat `text`, mail body). */
  text: string;
  /** The MQTT message as published (envelope + body); null for digests. */
  payload: Record<string, unknown> | null;
}

type Payload = Record<string, unknown>;

const str = (v: unknown, dflt = ''): string => (typeof v === 'string' ? v : v === undefined || v === null ? dflt : String(v));
const num = (v: unknown): string => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(2) : '?');

/** An `alert` message as a notice; kind defaults to low_f1 (the original alert, which has no kind field). */
export function alertNotice(p: Payload): Notice {
  const kind = str(p.kind, 'low_f1');
  const state = (['new', 'update', 'end'].includes(str(p.state)) ? p.state : 'new') as 'new' | 'update' | 'end';
  const instrument = str(p.instrument, '?');
  const what = kind === 'low_f1' ? 'low predicted F1' : kind.replace(/_/g, ' ');
  const verb = state === 'new' ? 'started' : state === 'end' ? 'ended' : 'continues';
  const title = `${instrument}: ${what} alert ${verb}`;
  const lines = [title];
  if (kind === 'low_f1') lines.push(`images ${str(p.images, '?')}, low ${str(p.low_images, '?')}, mean F1 ${num(p.mean_f1)}, min F1 ${num(p.min_f1)} (threshold ${num(p.threshold)})`);
  if (p.hint) lines.push(`hint: ${str(p.hint)}`);
  if (p.message) lines.push(str(p.message));
  if (p.last_image) lines.push(`last image: ${str(p.last_image)}`);
  lines.push(`started ${str(p.started, '?')}${p.ended ? `, ended ${str(p.ended)}` : ''} · alert ${str(p.alert_id, '?')}`);
  return {
    category: state === 'update' ? 'alert_update' : 'alert', state, instrument, ts: str(p.ts),
    key: `${instrument}/alert/${kind}`, alertId: p.alert_id ? str(p.alert_id) : null, title, text: lines.join('\n'), payload: p,
  };
}

/** An `error` message (an image that failed, or a start-up problem) as a notice. */
export function errorNotice(p: Payload): Notice {
  const instrument = str(p.instrument, '?');
  const stage = str(p.stage, '?');
  const code = str(p.code, '?');
  const image = p.image && typeof p.image === 'object' ? str((p.image as Payload).rel ?? (p.image as Payload).path) : str(p.image);
  const title = `${instrument}: error at ${stage} (${code})${image ? `: ${image}` : ''}`;
  return {
    category: 'error', state: null, instrument, ts: str(p.ts), key: `${instrument}/error/${stage}/${code}`, alertId: null,
    title, text: [title, str(p.message)].filter(Boolean).join('\n'), payload: p,
  };
}
