/**
 * Which notices go out now and which wait for the digest: the answer to "700 emails from one
 * alert". Pure and clock-free (times are passed in), so the tests drive it with a manual clock.
 *
 * - per key (instrument + alert kind, or + error stage/code): at most one notice per cooldown;
 *   an alert's end goes out only if its start did, so a suppressed flap stays silent;
 * - a global cap of notices per rolling hour;
 * - quiet hours hold everything;
 * - what is held is summarised in ONE digest, at most every digestMs and never in quiet hours.
 * So in any hour at most maxPerHour + 3600000 / digestMs messages leave, whatever the input.
 */
import type { Notice } from './notice.js';
import type { QuietHours } from './quiet.js';

export interface GateOptions {
  cooldownMs: number;
  maxPerHour: number;
  digestMs: number;
  quiet: QuietHours | null;
  /** Lines listed in a digest; the rest are counted. */
  digestLines?: number;
}

export type Decision = 'send' | 'hold';

const HOUR = 3_600_000;

export class NoticeGate {
  private readonly lastSent = new Map<string, number>();
  /** alert_ids whose start was sent (so their end is too); bounded by forgetting ended ones. */
  private readonly sentAlerts = new Set<string>();
  private sentTimes: number[] = [];
  private held: Notice[] = [];
  private heldTotal = 0;
  private heldSince: number | null = null;
  private lastDigest: number;

  constructor(private readonly o: GateOptions, now: number) {
    this.lastDigest = now;
  }

  get heldCount(): number { return this.heldTotal; }

  offer(n: Notice, now: number): Decision {
    const d = this.decide(n, now);
    if (d === 'send') this.record(n, now);
    else this.hold(n, now);
    return d;
  }

  /** Called on a timer: the digest of what was held, when one is due. */
  tick(now: number): Notice | null {
    if (this.heldTotal === 0 || now - this.lastDigest < this.o.digestMs || this.o.quiet?.contains(now)) return null;
    const digest = makeDigest(this.held, this.heldTotal, this.heldSince ?? now, now, this.o.digestLines ?? 20);
    this.held = [];
    this.heldTotal = 0;
    this.heldSince = null;
    this.lastDigest = now;
    return digest;
  }

  private decide(n: Notice, now: number): Decision {
    if (this.o.quiet?.contains(now)) return 'hold';
    this.sentTimes = this.sentTimes.filter((t) => now - t < HOUR);
    if (this.sentTimes.length >= this.o.maxPerHour) return 'hold';
    if (n.state === 'end' && n.alertId) return this.sentAlerts.has(n.alertId) ? 'send' : 'hold';
    const last = this.lastSent.get(n.key);
    return last !== undefined && now - last < this.o.cooldownMs ? 'hold' : 'send';
  }

  private record(n: Notice, now: number): void {
    this.sentTimes.push(now);
    if (n.state === 'end' && n.alertId) { this.sentAlerts.delete(n.alertId); return; }
    this.lastSent.set(n.key, now);
    if (n.state === 'new' && n.alertId) this.sentAlerts.add(n.alertId);
  }

  private hold(n: Notice, now: number): void {
    if (n.state === 'end' && n.alertId) this.sentAlerts.delete(n.alertId);
    this.heldTotal++;
    this.heldSince ??= now;
    // Keep what the digest lists plus one per key for the counts; a storm cannot grow memory.
    this.held.push(n);
    if (this.held.length > 1000) this.held.splice(0, this.held.length - 1000);
  }
}

function makeDigest(held: Notice[], total: number, since: number, now: number, maxLines: number): Notice {
  const counts = new Map<string, number>();
  for (const n of held) {
    const label = n.category === 'error' ? n.key : `${n.key} ${n.state ?? ''}`.trim();
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const instruments = [...new Set(held.map((n) => n.instrument))];
  const title = `temguard digest: ${total} notification${total === 1 ? '' : 's'} held back (${instruments.join(', ')})`;
  const lines = [
    title,
    `from ${new Date(since).toISOString()} to ${new Date(now).toISOString()} (cooldown, hourly cap or quiet hours)`,
    '',
    ...[...counts].map(([label, c]) => `${c}× ${label}`),
  ];
  if (total > held.length) lines.push(`(${total - held.length} older ones counted only)`);
  lines.push('', 'latest:', ...held.slice(-maxLines).reverse().map((n) => `- ${n.ts} ${n.title}`));
  return {
    category: 'digest', state: null, instrument: instruments.join(','), ts: new Date(now).toISOString(),
    key: 'digest', alertId: null, title, text: lines.join('\n'), payload: null,
  };
}
