// Delivers the sandbox wallet's notifications to boxfep's notify URL the way wallets do: POST, retry
// until the exact acknowledgement comes back, with injected duplicates and reordering.
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { Faults } from './faults.js';

export interface Delivery {
  outTradeNo: string;
  label: string;
  attempts: number;
  acknowledged: boolean;
}

export interface NotifierOptions {
  contentType: string;
  /** The reply body that stops retries (`success`, or WeChat's SUCCESS XML). */
  isAck: (body: string) => boolean;
  /** Delays between attempts, ms (real wallets use minutes; the sandbox is quick). */
  retryDelaysMs: number[];
  reorderWindowMs: number;
}

interface Pending {
  url: string;
  outTradeNo: string;
  label: string;
  body: string;
}

export class Notifier {
  readonly deliveries: Delivery[] = [];
  private held: Pending[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly options: NotifierOptions,
    private readonly faults: Faults,
    private readonly random: () => number,
  ) {}

  /** Queues one notification to `url`; no URL, no notification (as with a wallet). */
  send(url: string | undefined, outTradeNo: string, label: string, body: string): void {
    if (!url || this.stopped) return;
    const item = { url, outTradeNo, label, body };
    if (!this.faults.reorderNotify) {
      this.dispatch(item);
      return;
    }
    this.held.push(item);
    this.flushTimer ??= setTimeout(() => this.flush(), this.options.reorderWindowMs);
  }

  /** Waits for every delivery under way (tests call it before reading results). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0 || this.held.length > 0) {
      if (this.held.length > 0 && !this.flushTimer) this.flush();
      await Promise.all([...this.inFlight, sleep(5)]);
    }
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.flushTimer);
    this.held = [];
  }

  private flush(): void {
    this.flushTimer = undefined;
    const batch = this.held.reverse();
    this.held = [];
    for (const item of batch) this.dispatch(item);
  }

  private dispatch(item: Pending): void {
    const copies = this.random() < this.faults.duplicateNotifyRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const p = this.deliver(item).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  private async deliver(item: Pending): Promise<void> {
    const delivery: Delivery = { outTradeNo: item.outTradeNo, label: item.label, attempts: 0, acknowledged: false };
    this.deliveries.push(delivery);
    // A long-running sandbox keeps only the recent history.
    if (this.deliveries.length > 10_000) this.deliveries.splice(0, 1_000);
    const delays = [0, ...this.options.retryDelaysMs];
    for (const delay of delays) {
      if (delay > 0) await sleep(delay);
      if (this.stopped) return;
      delivery.attempts++;
      try {
        const res = await request(item.url, {
          method: 'POST',
          headers: { 'content-type': this.options.contentType },
          body: item.body,
          headersTimeout: 5_000,
          bodyTimeout: 5_000,
        });
        if (this.options.isAck(await res.body.text())) {
          delivery.acknowledged = true;
          return;
        }
      } catch {
        // the notify endpoint is down or slow: retried after the next delay
      }
    }
  }
}
