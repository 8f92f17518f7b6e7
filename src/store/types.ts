// The data the store keeps. Pure types: no I/O, shared by both backends and by the flows.
import type { MerchantLimits, SessionKeys, TerminalRecord, WalletCode } from '../terminals/types.js';

export type { MerchantLimits, SessionKeys, TerminalRecord, WalletCode };

/**
 * Order life cycle. Every change is a compare-and-set from a list of expected states.
 *
 *   created ─► paying ─► paid ─► partially_refunded ─► refunded
 *      │          │        └────► cancelled (reversed after payment)
 *      └──────────┴─► failed | cancelled | closed | unknown (recovery resolves it later)
 */
export type OrderState =
  | 'created'
  | 'paying'
  | 'paid'
  | 'failed'
  | 'cancelled'
  | 'closed'
  | 'partially_refunded'
  | 'refunded'
  | 'unknown';

/** States that need no more work (recovery drops them from its index). */
export const FINAL_STATES: readonly OrderState[] = [
  'paid',
  'failed',
  'cancelled',
  'closed',
  'partially_refunded',
  'refunded',
];

/** sale = B2C (box scans the code), precreate = C2B (box shows a code); refund / void move money back. */
export type OrderKind = 'sale' | 'precreate' | 'refund' | 'void';

/** The identity of one box request for duplicate detection: TID + MID + batch + STAN + MTI (§4). */
export interface RequestKey {
  tid: string;
  mid: string;
  /** 60.2, 6 digits. */
  batch: string;
  /** Field 11, 6 digits. */
  stan: string;
  /** `0200`, `0220`, `0400`... */
  mti: string;
}

export interface OrderEvent {
  /** Epoch ms. */
  at: number;
  state: OrderState;
  note?: string;
}

export interface Order {
  /** Field 37, 12 characters, assigned by the store; the order's key within its merchant. */
  rrn: string;
  tid: string;
  mid: string;
  batch: string;
  stan: string;
  mti: string;
  kind: OrderKind;
  amountFen: number;
  wallet?: WalletCode;
  /** The wallet's own transaction id, once known. */
  channelOrderId?: string;
  /** Payment code as `maskPaymentCode` shows it; the clear code is never stored. */
  paymentCodeMasked?: string;
  /** The merchant order number sent to the wallet: MID (15) + YY (2) + RRN (12); see `parseOutTradeNo`. */
  outTradeNo: string;
  state: OrderState;
  /** Sales only: refunds and voids confirmed by the wallet. */
  refundedFen: number;
  /** Sales only: refunds and voids reserved but not yet confirmed or released. */
  refundPendingFen: number;
  /** Refunds and voids: the RRN of the sale they return money from. */
  parentRrn?: string;
  /** Sales counted against daily limits: the day (YYYYMMDD, Asia/Shanghai) they were counted on. */
  limitDay?: string;
  createdAt: number;
  updatedAt: number;
  /** The last few state changes, oldest first (capped, see ORDER_EVENT_CAP). */
  events: OrderEvent[];
}

/** Fields a transition may set besides the state. */
export interface OrderPatch {
  wallet?: WalletCode;
  channelOrderId?: string;
}

/** Per TID + batch, for settlement (§6): debit = sales, credit = voids and refunds. */
export interface BatchTotals {
  debitFen: number;
  debitCount: number;
  creditFen: number;
  creditCount: number;
}

/** Approved-or-in-flight sales of one merchant on one day (Asia/Shanghai). */
export interface DailyCounters {
  amountFen: number;
  count: number;
}

/** A 0620 result push waiting for the box's 0630. */
export interface PendingPush {
  mid: string;
  tid: string;
  /** The order the push is about (one push per order). */
  rrn: string;
  /** Whatever the flow needs to rebuild the message; opaque to the store. */
  payload: Uint8Array;
  /** Sends so far. */
  attempts: number;
  /** Epoch ms of the next (re)send. */
  nextAttemptAt: number;
  createdAt: number;
  /** Epoch ms after which the push is dropped (24 h by default). */
  expiresAt: number;
}

/** Why a sale was refused by merchant limits: per-transaction / daily amount → `61`, daily count → `65`. */
export type LimitBreach = 'per-transaction' | 'daily-amount' | 'daily-count';

export interface BeginPaymentInput {
  request: RequestKey;
  /** Digest of the request content the box sent; a duplicate with another fingerprint is answered `94`. */
  fingerprint: string;
  kind: 'sale' | 'precreate';
  amountFen: number;
  wallet?: WalletCode;
  paymentCodeMasked?: string;
  /** Checked and counted atomically with the claim; omitted = no limits. */
  limits?: MerchantLimits;
  /** Default: `paying` for a sale, `created` for a precreate. */
  initialState?: 'created' | 'paying';
  /** Epoch ms; tests pass a fixed clock. */
  now?: number;
}

export interface BeginRefundInput {
  request: RequestKey;
  fingerprint: string;
  /** `void`: same batch, full amount, original untouched. `refund`: any day, up to the remainder. */
  kind: 'refund' | 'void';
  amountFen: number;
  /** The original sale's RRN (field 37 of the request). */
  originalRrn: string;
  now?: number;
}

export interface BeginReversalInput {
  /** The reversal itself (MTI 0400); its batch and STAN are the original's. */
  request: RequestKey;
  fingerprint: string;
  now?: number;
}

/** Results shared by every `begin…` call when the request was seen before. */
export type DuplicateResult =
  /** Same request, finished: replay the stored response bytes. */
  | { status: 'replay'; response: Uint8Array }
  /** Same request, still executing (the first copy has not finished). */
  | { status: 'in-progress'; rrn?: string }
  /** Same TID + MID + batch + STAN + MTI, different content: answer `94`. */
  | { status: 'mismatch' }
  /** A reversal arrived first for this TID + MID + batch + STAN: answer `94`, never execute. */
  | { status: 'reversed' };

/** A request that creates no order (query, settlement...) was claimed: execute it, then `completeRequest`. */
export type ClaimResult = { status: 'claimed' } | DuplicateResult;

export type BeginPaymentResult =
  | { status: 'started'; order: Order }
  | DuplicateResult
  /** Refused by merchant limits; the request is claimed: store the answer with `completeRequest`. */
  | { status: 'limit'; limit: LimitBreach };

/** Refusals (not found, not allowed, exceeds) claim the request too: store the answer with `completeRequest`. */
export type BeginRefundResult =
  | { status: 'started'; order: Order; original: Order }
  | DuplicateResult
  /** No such sale for this merchant: `25`. */
  | { status: 'original-not-found' }
  /** The sale cannot be refunded/voided in its state, batch or amount: `12` (or `13` for a void's amount). */
  | { status: 'not-allowed'; reason: 'state' | 'batch' | 'amount' | 'kind'; original: Order }
  /** More than the remainder: `64`. */
  | { status: 'exceeds'; remainingFen: number; original: Order };

export type BeginReversalResult =
  /** The reversal is claimed. `original` present → cancel it at the wallet; absent → a tombstone now blocks it. */
  { status: 'started'; original?: Order } | Exclude<DuplicateResult, { status: 'reversed' }>;

export interface TransitionInput {
  /** Expected current states (compare-and-set). */
  from: readonly OrderState[];
  to: OrderState;
  patch?: OrderPatch;
  /** Short reason for the event history (no secrets, no payment codes). */
  note?: string;
  /** Finish the box request: store its response for replay (idempotency record → done). */
  response?: { request: RequestKey; bytes: Uint8Array };
  /**
   * Queue a 0620 push to the box in the same atomic step (C2B result). `sending`: the caller sends it
   * now (the box is connected to its node), so it is stored as one attempt made, due again at
   * `nextAttemptAt` if unacknowledged — no separate list and mark steps before the send.
   */
  push?: { payload: Uint8Array; nextAttemptAt?: number; sending?: boolean };
  /** For `unknown` (or a still-pending order): when recovery should look at it next. */
  nextCheckAt?: number;
  now?: number;
  /**
   * The caller needs only whether the change happened: an `ok` result comes without the order, which
   * saves a copy (memory) or a decode (Redis) per finished transaction. A conflict still has it.
   */
  statusOnly?: boolean;
}

export type TransitionResult =
  | { status: 'ok'; order: Order }
  /** The order was not in one of the expected states: nothing changed; `order` is the current one. */
  | { status: 'conflict'; order: Order }
  | { status: 'not-found' };

/** The result of a `statusOnly` transition. */
export type TransitionStatus = { status: 'ok' } | Exclude<TransitionResult, { status: 'ok' }>;

/** Store-wide configuration of lifetimes; every key has a TTL. */
export interface StoreTtls {
  /** Idempotency records (stored responses). Default 48 h. */
  requestMs: number;
  /** Reversal tombstones. Default 48 h. */
  tombstoneMs: number;
  /** Orders. Default 7 days. */
  orderMs: number;
  /** Batch totals. Default 35 days (a box that has not settled for a month is a support case). */
  batchMs: number;
  /** Daily merchant counters. Default 48 h (covers the day and late releases after midnight). */
  dailyMs: number;
  /** Pending pushes. Default 24 h (§4). */
  pushMs: number;
  /** MAC-failure counters (reset on a good MAC). Default 24 h. */
  macFailureMs: number;
}

export const DEFAULT_TTLS: StoreTtls = {
  requestMs: 48 * 3600_000,
  tombstoneMs: 48 * 3600_000,
  orderMs: 7 * 24 * 3600_000,
  batchMs: 35 * 24 * 3600_000,
  dailyMs: 48 * 3600_000,
  pushMs: 24 * 3600_000,
  macFailureMs: 24 * 3600_000,
};

/** Events kept per order; older ones are dropped so a record stays small. */
export const ORDER_EVENT_CAP = 12;
