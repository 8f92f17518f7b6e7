// The store's rules as pure functions. MemoryStore calls them directly; the Redis Lua scripts
// (redis-scripts.ts) implement the same rules line for line, and the shared test suite holds both to them.
import { type ByteSlab, spanOf } from './byte-slab.js';
import { makeOutTradeNo } from './ids.js';
import { ownString } from './own-string.js';
import type { Expiring } from './record-map.js';
import type {
  DailyCounters,
  DuplicateResult,
  LimitBreach,
  MerchantLimits,
  Order,
  OrderState,
  RequestKey,
  WalletCode,
} from './types.js';

/**
 * The idempotency record of one box request, as the memory store keeps it for `requestMs` (48 h):
 * one object of fixed shape (made by `newRequestRecord`) that carries its own expiry and its request
 * key's fields (hash-index.ts: no entry object or key string around it; the MTI is the index's). The
 * stored response is a span of a shared slab (byte-slab.ts), not a view object of its own, and
 * finishing fills fields the record already has rather than adding one (which would give it a
 * second, out-of-object property store).
 */
export interface RequestRecord extends Expiring, RequestSlot {
  /** Fingerprint of the request content. */
  readonly fp: string;
  /** The order the request created, if any. */
  readonly rrn: string | undefined;
  /** The slab holding the stored response once done; undefined while executing. */
  slab: Uint8Array | undefined;
  /** Where in `slab` (ByteSlab.place). */
  span: number;
}

/** A request's key within its MTI: what the memory store finds its request record and order by. */
export type RequestSlot = Pick<RequestKey, 'mid' | 'tid' | 'batch' | 'stan'>;

/**
 * An executing request's record, for the request `r`, expiring at `expires` (ms after EPOCH:
 * record-map.ts `expiresAt`). One object literal, not a class: V8 allocates a literal site's objects
 * in the old generation directly once most of them outlive a scavenge (records are kept for days),
 * where constructed objects are always copied by two scavenges first.
 */
export function newRequestRecord(r: RequestSlot, fp: string, expires: number | null, rrn?: string): RequestRecord {
  return {
    mid: r.mid,
    tid: r.tid,
    batch: r.batch,
    stan: r.stan,
    fp: ownString(fp),
    rrn,
    slab: undefined,
    span: 0,
    expires,
  };
}
// One record with a null expiry first: the field is then typed "any value" (record-map.ts `Expiring`).
newRequestRecord({ mid: '', tid: '', batch: '', stan: '' }, '', null);

/** Stores a copy of the response in `slabs`: the request is done. */
export function finishRequest(rec: RequestRecord, slabs: ByteSlab, response: Uint8Array): void {
  rec.span = slabs.place(response);
  rec.slab = slabs.placedIn;
}

/** Still executing (no response stored yet)? */
export function executing(rec: RequestRecord): boolean {
  return rec.slab === undefined;
}

export function duplicateOf(rec: RequestRecord, fingerprint: string): DuplicateResult {
  if (rec.fp !== fingerprint) return { status: 'mismatch' };
  if (rec.slab !== undefined) return { status: 'replay', response: spanOf(rec.slab, rec.span) };
  return rec.rrn ? { status: 'in-progress', rrn: rec.rrn } : { status: 'in-progress' };
}

export function limitBreach(
  limits: MerchantLimits | undefined,
  day: DailyCounters,
  amountFen: number,
): LimitBreach | undefined {
  if (!limits) return undefined;
  if (limits.perTransactionMaxFen !== undefined && amountFen > limits.perTransactionMaxFen) return 'per-transaction';
  if (limits.dailyAmountMaxFen !== undefined && day.amountFen + amountFen > limits.dailyAmountMaxFen) {
    return 'daily-amount';
  }
  if (limits.dailyCountMax !== undefined && day.count + 1 > limits.dailyCountMax) return 'daily-count';
  return undefined;
}

export function hasLimits(limits: MerchantLimits | undefined): boolean {
  return (
    limits !== undefined &&
    (limits.dailyAmountMaxFen !== undefined ||
      limits.dailyCountMax !== undefined ||
      limits.perTransactionMaxFen !== undefined)
  );
}

/** What the money rules read of an order: an `Order`, or the memory store's own `StoredOrder`. */
export type OrderMoney = Pick<
  Order,
  'kind' | 'state' | 'batch' | 'amountFen' | 'refundedFen' | 'refundPendingFen' | 'limitDay'
>;

export type RefundCheck =
  | { ok: true }
  | { ok: false; status: 'not-allowed'; reason: 'state' | 'batch' | 'amount' | 'kind' }
  | { ok: false; status: 'exceeds'; remainingFen: number };

export function refundable(original: OrderMoney): number {
  return original.amountFen - original.refundedFen - original.refundPendingFen;
}

/** Can `amountFen` be refunded (or voided, from `batch`) from this sale right now? */
export function checkRefund(
  original: OrderMoney,
  kind: 'refund' | 'void',
  amountFen: number,
  batch: string,
): RefundCheck {
  if (original.kind !== 'sale' && original.kind !== 'precreate')
    return { ok: false, status: 'not-allowed', reason: 'kind' };
  if (kind === 'void') {
    if (original.state !== 'paid' || original.refundedFen + original.refundPendingFen > 0) {
      return { ok: false, status: 'not-allowed', reason: 'state' };
    }
    if (original.batch !== batch) return { ok: false, status: 'not-allowed', reason: 'batch' };
    if (amountFen !== original.amountFen) return { ok: false, status: 'not-allowed', reason: 'amount' };
    return { ok: true };
  }
  if (original.state !== 'paid' && original.state !== 'partially_refunded') {
    return { ok: false, status: 'not-allowed', reason: 'state' };
  }
  const remainingFen = refundable(original);
  if (amountFen > remainingFen) return { ok: false, status: 'exceeds', remainingFen };
  return { ok: true };
}

const SETTLED_MONEY: readonly OrderState[] = ['paid', 'partially_refunded', 'refunded'];
const DEAD: readonly OrderState[] = ['failed', 'cancelled', 'closed'];

/** What a state change does besides changing the state. */
export interface TransitionEffects {
  /** Add to the batch's debit (sales) side: +1/-1 times the amount and count. */
  debit: -1 | 0 | 1;
  /** Add to the batch's credit (voids and refunds) side. */
  credit: -1 | 0 | 1;
  /** Give the sale's amount and count back to the daily counters of `limitDay`. */
  releaseLimits: boolean;
  /** Refunds and voids: how the parent sale's refund fields move. */
  parent?: { pendingDelta: number; refundedDelta: number };
}

export function transitionEffects(order: OrderMoney, from: OrderState, to: OrderState): TransitionEffects {
  const wasMoney = SETTLED_MONEY.includes(from);
  const isMoney = SETTLED_MONEY.includes(to);
  const sign = (isMoney ? 1 : 0) - (wasMoney ? 1 : 0);
  const fx: TransitionEffects = { debit: 0, credit: 0, releaseLimits: false };
  if (order.kind === 'sale' || order.kind === 'precreate') {
    fx.debit = sign as -1 | 0 | 1;
    fx.releaseLimits = order.limitDay !== undefined && DEAD.includes(to);
    return fx;
  }
  fx.credit = sign as -1 | 0 | 1;
  // A refund's amount is reserved on the parent while in flight: paid moves it to refunded,
  // a dead end releases it, and a reversal of a paid refund gives the refunded amount back.
  const a = order.amountFen;
  const wasPending = !wasMoney && !DEAD.includes(from);
  if (wasPending && isMoney) fx.parent = { pendingDelta: -a, refundedDelta: a };
  else if (wasPending && DEAD.includes(to)) fx.parent = { pendingDelta: -a, refundedDelta: 0 };
  else if (wasMoney && DEAD.includes(to)) fx.parent = { pendingDelta: 0, refundedDelta: -a };
  return fx;
}

/** The parent sale's state after its refund fields changed. */
export function parentStateAfterRefunds(parent: OrderMoney): OrderState {
  if (parent.state !== 'paid' && parent.state !== 'partially_refunded' && parent.state !== 'refunded') {
    return parent.state;
  }
  if (parent.refundedFen <= 0) return 'paid';
  return parent.refundedFen >= parent.amountFen ? 'refunded' : 'partially_refunded';
}

/** What a begun request contributes to its new order beyond the request key itself. */
export interface NewOrderFields {
  rrn: string;
  kind: Order['kind'];
  amountFen: number;
  state: OrderState;
  now: number;
  wallet?: WalletCode;
  paymentCodeMasked?: string;
  /** Refunds and voids: the sale they give money back on. */
  parentRrn?: string;
  /** Sales counted against daily limits: the business day they were counted on. */
  limitDay?: string;
}

/** The order a begun sale, precreate, refund or void writes: one shape for both stores. */
export function newOrder(r: RequestKey, f: NewOrderFields): Order {
  return {
    rrn: f.rrn,
    tid: r.tid,
    mid: r.mid,
    batch: r.batch,
    stan: r.stan,
    mti: r.mti,
    kind: f.kind,
    amountFen: f.amountFen,
    ...(f.wallet && { wallet: f.wallet }),
    ...(f.paymentCodeMasked && { paymentCodeMasked: f.paymentCodeMasked }),
    outTradeNo: makeOutTradeNo(r.mid, f.rrn, f.now),
    state: f.state,
    refundedFen: 0,
    refundPendingFen: 0,
    ...(f.parentRrn && { parentRrn: f.parentRrn }),
    ...(f.limitDay && { limitDay: f.limitDay }),
    createdAt: f.now,
    updatedAt: f.now,
    events: [{ at: f.now, state: f.state }],
  };
}
