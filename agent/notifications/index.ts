/**
 * Notifications beyond MQTT: the daemon's `alert` and `error` events become notices, the gate
 * decides what goes out now and what waits for the digest, and each channel (webhook, mail)
 * has its own bounded queue with retries. Nothing here blocks the pipeline: event listeners
 * only classify and enqueue.
 */
import type { Clock } from '../daemon/clock.js';
import type { DaemonEvents } from '../daemon/events.js';
import type { Logger } from '../log.js';
import { Delivery, realLater, type Channel, type DeliveryOptions, type DeliveryStats, type Later } from './delivery.js';
import { NoticeGate, type GateOptions } from './gate.js';
import { alertNotice, errorNotice, type Notice, type NoticeCategory } from './notice.js';

export interface NotificationsDeps {
  events: Pick<DaemonEvents, 'on'>;
  clock: Clock;
  log: Logger;
  later?: Later;
}

export interface NotificationsOptions {
  channels: Channel[];
  on: NoticeCategory[];
  gate: GateOptions;
  delivery: DeliveryOptions;
}

export interface NotificationsStatus {
  channels: string[];
  held: number;
  by_channel: Record<string, DeliveryStats>;
}

export class Notifications {
  readonly deliveries: Delivery[];
  private readonly gate: NoticeGate;
  private readonly stops: (() => void)[] = [];

  constructor(private readonly o: NotificationsOptions, private readonly d: NotificationsDeps) {
    this.gate = new NoticeGate(o.gate, d.clock.now());
    this.deliveries = o.channels.map((c) => new Delivery(c, o.delivery, d.log, d.later ?? realLater));
  }

  /** Returns the stop for the daemon's teardown (waits up to settleMs for the queues to empty). */
  start(settleMs = 3000): () => Promise<void> {
    this.stops.push(
      this.d.events.on('alert', ({ msg }) => this.offer(alertNotice(msg.payload))),
      this.d.events.on('error', ({ msg }) => this.offer(errorNotice(msg.payload))),
      this.d.events.on('stall', ({ msg }) => this.offer(alertNotice(msg.payload))),
      // A minute is fine enough for digests and the end of quiet hours.
      this.d.clock.every(Math.min(60_000, this.o.gate.digestMs), () => this.tick()),
    );
    return async () => {
      for (const s of this.stops.splice(0)) s();
      await Promise.all(this.deliveries.map((d) => d.finish(settleMs)));
      this.stop();
    };
  }

  /** Classify, gate, enqueue; exported for embedders that raise their own notices. */
  offer(n: Notice): void {
    if (n.category !== 'digest' && !this.o.on.includes(n.category)) return;
    if (this.gate.offer(n, this.d.clock.now()) === 'send') this.enqueue(n);
  }

  tick(): void {
    const digest = this.gate.tick(this.d.clock.now());
    if (digest) this.enqueue(digest);
  }

  status(): NotificationsStatus {
    return {
      channels: this.o.channels.map((c) => c.name),
      held: this.gate.heldCount,
      by_channel: Object.fromEntries(this.deliveries.map((d, i) => [this.o.channels[i]!.name, { ...d.stats }])),
    };
  }

  stop(): void {
    for (const s of this.stops.splice(0)) s();
    for (const d of this.deliveries) d.stop();
  }

  private enqueue(n: Notice): void {
    for (const d of this.deliveries) d.push(n);
  }
}
