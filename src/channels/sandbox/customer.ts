// The simulated customer of the C2B sandboxes: scans the displayed QR code and pays after a delay.
import type { Ledger, LedgerOrder } from './ledger.js';

export class SimulatedCustomer {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly ledger: Ledger,
    /** Time from order creation to payment, ms. */
    readonly payDelayMs: number,
  ) {}

  /** Pays the order later unless its amount says never (…99 fen); `onPaid` sends the notification. */
  schedule(order: LedgerOrder, onPaid: (order: LedgerOrder) => void): void {
    if (!this.ledger.willBePaid(order)) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.ledger.customerPays(order)) onPaid(order);
    }, this.payDelayMs);
    this.timers.add(timer);
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
