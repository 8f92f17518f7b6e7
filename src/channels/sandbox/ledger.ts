// The sandbox wallet's books: every order, its amount, its state, its refunds. One state machine,
// shared by the simulated wallets, that follows the real ones: a query after success says paid, a
// cancel of a paid order refunds it, a close of a paid order fails, a refund number is idempotent.
// Tests (and the crash-recovery tests) read it to prove "paid twice" or "paid without a record".
import { c2bNeverPaid, type PayScenario, QUERIES_UNTIL_PAID, scenarioForCode } from './test-codes.js';

export type LedgerState = 'created' | 'paying' | 'paid' | 'failed' | 'closed' | 'reversed';

export interface LedgerRefund {
  outRefundNo: string;
  refundId: string;
  fen: number;
  at: number;
}

export interface LedgerOrder {
  merchantId: string;
  appId: string;
  outTradeNo: string;
  kind: 'b2c' | 'c2b';
  amountFen: number;
  state: LedgerState;
  channelOrderId: string;
  /** The scenario of the payment code (B2C). */
  scenario?: PayScenario;
  queries: number;
  refunds: LedgerRefund[];
  refundedFen: number;
  /** Every state the order went through, in order. */
  history: LedgerState[];
  createdAt: number;
  paidAt?: number;
}

export type PayVerdict =
  | { kind: 'paid' | 'paying' | 'system-error' | 'insufficient-funds'; order: LedgerOrder }
  | { kind: 'no-answer' }
  /** The order number was used before and is no longer payable (its state says why). */
  | { kind: 'order-exists'; order: LedgerOrder };

export type CancelVerdict = { kind: 'cancelled'; order: LedgerOrder; refunded: boolean };
export type CloseVerdict = { kind: 'closed' | 'order-paid' | 'not-found' | 'already-closed'; order?: LedgerOrder };
export type RefundVerdict =
  | { kind: 'refunded' | 'duplicate'; order: LedgerOrder; refund: LedgerRefund }
  | { kind: 'not-found' | 'not-paid' | 'exceeds' | 'mismatch'; order?: LedgerOrder };

export interface Account {
  appId: string;
  merchantId: string;
  /** What order numbers are unique within: the merchant id (WeChat) or the app id (Alipay). */
  scope?: string;
}

/**
 * Orders a ledger remembers; the oldest are forgotten beyond it. A simulator under a load test books
 * thousands of orders a second: kept forever they grew the sandbox's heap without bound (~1.3 KB
 * each) and its garbage collections with it (40–75 ms scavenges at 2,000 sales/s). 100,000 orders is
 * ~70 MB and 50 s at 2,000/s — far more than any flow still asks about.
 */
export const LEDGER_MAX_ORDERS = 100_000;

export class Ledger {
  private readonly orders = new Map<string, LedgerOrder>();
  /** Merchant and app ids repeat from order to order: one own copy of each. */
  private readonly accountIds = new OwnCopies();
  private seq = 0;
  private idDay = Number.NaN;
  private idDayText = '';

  constructor(
    /** Prefix of the wallet's own order ids, e.g. `4200` for WeChat-style ids. */
    private readonly idPrefix: string,
    private readonly now: () => number = Date.now,
    private readonly maxOrders = LEDGER_MAX_ORDERS,
  ) {}

  /** The order `outTradeNo` within `scope` (see Account.scope). */
  get(scope: string, outTradeNo: string): LedgerOrder | undefined {
    return this.orders.get(key(scope, outTradeNo));
  }

  /** A deep copy of every order, oldest first. */
  snapshot(): LedgerOrder[] {
    return [...this.orders.values()].map((o) => structuredClone(o));
  }

  pay(acct: Account, outTradeNo: string, amountFen: number, authCode: string): PayVerdict {
    const existing = this.get(scopeOf(acct), outTradeNo);
    if (existing) return { kind: existing.state === 'paying' ? 'paying' : 'order-exists', order: existing };
    const scenario = scenarioForCode(authCode);
    if (scenario === 'no-answer') return { kind: 'no-answer' };
    const order = this.create(acct, outTradeNo, 'b2c', amountFen, scenario);
    switch (scenario) {
      case 'approve':
        this.move(order, 'paid');
        return { kind: 'paid', order };
      case 'paying-then-approve':
      case 'paying-forever':
        this.move(order, 'paying');
        return { kind: 'paying', order };
      case 'insufficient-funds':
        this.move(order, 'failed');
        return { kind: 'insufficient-funds', order };
      case 'system-error-paid':
        this.move(order, 'paid');
        return { kind: 'system-error', order };
    }
  }

  precreate(acct: Account, outTradeNo: string, amountFen: number): { order: LedgerOrder; created: boolean } {
    const existing = this.get(scopeOf(acct), outTradeNo);
    if (existing) return { order: existing, created: false };
    return { order: this.create(acct, outTradeNo, 'c2b', amountFen), created: true };
  }

  /** Whether the simulated customer will ever pay this C2B order. */
  willBePaid(order: LedgerOrder): boolean {
    return order.kind === 'c2b' && !c2bNeverPaid(order.amountFen);
  }

  /** The simulated customer scans and pays; false when the order is no longer payable. */
  customerPays(order: LedgerOrder): boolean {
    if (order.state !== 'created') return false;
    this.move(order, 'paid');
    return true;
  }

  /** A query: also where a `paying-then-approve` order completes. */
  query(scope: string, outTradeNo: string): LedgerOrder | undefined {
    const order = this.get(scope, outTradeNo);
    if (!order) return undefined;
    order.queries++;
    if (order.state === 'paying' && order.scenario === 'paying-then-approve' && order.queries >= QUERIES_UNTIL_PAID) {
      this.move(order, 'paid');
    }
    return order;
  }

  /**
   * Reverse/cancel: an unpaid order is closed, a paid one refunded in full. An unknown order number
   * is booked as reversed (a tombstone), so a late pay with it is refused, never executed.
   */
  cancel(acct: Account, outTradeNo: string): CancelVerdict {
    const order = this.get(scopeOf(acct), outTradeNo) ?? this.create(acct, outTradeNo, 'b2c', 0);
    let refunded = false;
    if (order.state === 'paid') {
      const remaining = order.amountFen - order.refundedFen;
      if (remaining > 0) this.addRefund(order, `REVERSE-${order.outTradeNo}`, remaining);
      refunded = true;
    }
    if (order.state !== 'reversed' && order.state !== 'closed') this.move(order, 'reversed');
    return { kind: 'cancelled', order, refunded };
  }

  close(scope: string, outTradeNo: string): CloseVerdict {
    const order = this.get(scope, outTradeNo);
    if (!order) return { kind: 'not-found' };
    if (order.state === 'paid') return { kind: 'order-paid', order };
    if (order.state === 'closed' || order.state === 'reversed') return { kind: 'already-closed', order };
    this.move(order, 'closed');
    return { kind: 'closed', order };
  }

  refund(scope: string, outTradeNo: string, outRefundNo: string, fen: number): RefundVerdict {
    const order = this.get(scope, outTradeNo);
    if (!order) return { kind: 'not-found' };
    const previous = order.refunds.find((r) => r.outRefundNo === outRefundNo);
    if (previous)
      return previous.fen === fen ? { kind: 'duplicate', order, refund: previous } : { kind: 'mismatch', order };
    if (order.state !== 'paid') return { kind: 'not-paid', order };
    if (fen <= 0 || order.refundedFen + fen > order.amountFen) return { kind: 'exceeds', order };
    return { kind: 'refunded', order, refund: this.addRefund(order, outRefundNo, fen) };
  }

  private create(acct: Account, outTradeNo: string, kind: 'b2c' | 'c2b', amountFen: number, scenario?: PayScenario) {
    const merchantId = this.accountIds.get(acct.merchantId);
    const scope = acct.scope === undefined ? merchantId : this.accountIds.get(acct.scope);
    const no = ownCopy(outTradeNo);
    const order: LedgerOrder = {
      merchantId,
      appId: this.accountIds.get(acct.appId),
      outTradeNo: no,
      kind,
      amountFen,
      state: 'created',
      channelOrderId: this.nextId(),
      queries: 0,
      refunds: [],
      refundedFen: 0,
      history: ['created'],
      createdAt: this.now(),
    };
    if (scenario) order.scenario = scenario;
    // Built from own copies, so the key holds no request body either.
    this.orders.set(key(scope, no), order);
    if (this.orders.size > this.maxOrders) this.orders.delete(this.orders.keys().next().value!);
    return order;
  }

  private addRefund(order: LedgerOrder, outRefundNo: string, fen: number): LedgerRefund {
    const refund = { outRefundNo, refundId: this.nextId(), fen, at: this.now() };
    order.refunds.push(refund);
    order.refundedFen += fen;
    return refund;
  }

  private move(order: LedgerOrder, state: LedgerState): void {
    order.state = state;
    order.history.push(state);
    if (state === 'paid') order.paidAt = this.now();
  }

  private nextId(): string {
    return `${this.idPrefix}${this.idDate()}${String(++this.seq).padStart(10, '0')}`;
  }

  /** `yyyyMMdd` (UTC) of now, formatted once a day rather than once an id. */
  private idDate(): string {
    const day = Math.floor(this.now() / 86_400_000);
    if (day !== this.idDay) {
      this.idDay = day;
      this.idDayText = new Date(day * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
    }
    return this.idDayText;
  }
}

const key = (scope: string, outTradeNo: string) => `${scope}\u0000${outTradeNo}`;

/**
 * A flat copy of `s`. A string cut out of a request (an XML or ISO 8583 field) can be a V8 slice that
 * keeps the whole request body alive; the ledger keeps its orders for long, so it stores copies
 * (1.26 → 0.68 KB retained per order). JSON round-trips every string exactly.
 */
const ownCopy = (s: string): string => JSON.parse(JSON.stringify(s)) as string;
const scopeOf = (acct: Account) => acct.scope ?? acct.merchantId;

/** Own copies (see ownCopy) of strings that recur, each made once; bounded like the ledger. */
class OwnCopies {
  private readonly copies = new Map<string, string>();

  get(s: string): string {
    let copy = this.copies.get(s);
    if (copy === undefined) {
      if (this.copies.size >= OWN_COPIES_MAX) this.copies.clear();
      copy = ownCopy(s);
      this.copies.set(copy, copy);
    }
    return copy;
  }
}

const OWN_COPIES_MAX = 10_000;
