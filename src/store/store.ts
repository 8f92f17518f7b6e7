// The state layer's one interface. Two implementations keep the same semantics: MemoryStore (the
// embedded single-node default) and RedisStore (ioredis, standalone or Cluster). Every operation a
// box request needs on its hot path is ONE call here and one Redis round trip there.
import type { SessionKeys, TerminalRecord } from '../terminals/types.js';
import type {
  BatchTotals,
  BeginPaymentInput,
  BeginPaymentResult,
  BeginRefundInput,
  BeginRefundResult,
  BeginReversalInput,
  BeginReversalResult,
  ClaimResult,
  DailyCounters,
  Order,
  PendingPush,
  RequestKey,
  TransitionInput,
  TransitionResult,
  TransitionStatus,
} from './types.js';

export { StoreError, StoreInputError, StoreUnavailableError } from './errors.js';
export * from './types.js';

/** What the box server and sign-on need: terminal records, working keys, MAC-failure counting. */
export interface TerminalStore {
  /** The caller's own copy: it may be changed and written back with `putTerminal`. */
  getTerminal(tid: string): Promise<TerminalRecord | undefined>;
  /** Upsert. */
  putTerminal(rec: TerminalRecord): Promise<void>;
  listTerminals(): Promise<TerminalRecord[]>;
  getSessionKeys(tid: string): Promise<SessionKeys | undefined>;
  putSessionKeys(tid: string, keys: SessionKeys, ttlMs: number): Promise<void>;
  deleteSessionKeys(tid: string): Promise<void>;
  /** Consecutive bad MACs; returns the new count. */
  incrMacFailures(tid: string): Promise<number>;
  resetMacFailures(tid: string): Promise<void>;
}

/**
 * What a box request needs before its MAC can be checked, read together. Read-only: the memory store
 * hands out its own deeply frozen records, without a copy per request (a write to them throws); the
 * Redis store decodes fresh ones. Either way the stored terminal changes only through `putTerminal`.
 */
export interface TerminalContext {
  readonly terminal: TerminalRecord;
  /** The working keys; read only for a terminal whose `keyMode` is `session`. */
  readonly session: SessionKeys | undefined;
  /** Consecutive bad MACs so far (0 when none, or when the run expired). */
  readonly macFailures: number;
  /**
   * Served from the node's copy (the Redis store's terminal cache), which may lag a change made on
   * another node until its invalidation arrives: a refusal decided on it is worth a fresh read.
   */
  readonly cached?: boolean;
}

/** The box server's view: the terminal store plus the per-request read in one round trip. */
export interface TerminalContextStore extends TerminalStore {
  /**
   * The terminal, its working keys and its MAC-failure count in one call (one Redis round trip on a
   * standalone server, none when the node's terminal cache has it: the box server's hot path).
   * Undefined when the terminal is not registered. `fresh`: past any cache, to the store itself.
   */
  getTerminalContext(tid: string, opts?: { fresh?: boolean }): Promise<TerminalContext | undefined>;
}

/** Transaction state: what the flows use. */
export interface TransactionStore {
  /**
   * Sale or precreate, one atomic step: claim the request (duplicate check), refuse it if a reversal
   * tombstone exists, check and count merchant limits, assign an RRN and write the order.
   */
  beginPayment(input: BeginPaymentInput): Promise<BeginPaymentResult>;
  /**
   * Refund or void, one atomic step: claim the request, find the original sale, check state / batch /
   * amount, reserve the amount against the remainder and write the refund order (state `paying`).
   */
  beginRefund(input: BeginRefundInput): Promise<BeginRefundResult>;
  /**
   * Reversal (0400), one atomic step: claim it, find the original by TID + MID + batch + STAN; if there
   * is none, write a tombstone so that the original, should it arrive later, is refused.
   */
  beginReversal(input: BeginReversalInput): Promise<BeginReversalResult>;
  /**
   * Compare-and-set an order's state, with its side effects in the same atomic step: batch totals
   * (debit on a sale becoming paid, credit on a refund/void becoming paid, both undone by a reversal),
   * release of daily limits when a sale fails, refund reservations settled or released on the original,
   * the stored response for replay, an optional 0620 push and the recovery schedule.
   * Pass the order as last read: its immutable fields (tid, batch, parent...) name the keys involved.
   */
  transition(order: Order, change: TransitionInput & { statusOnly: true }): Promise<TransitionStatus>;
  transition(order: Order, change: TransitionInput): Promise<TransitionResult>;
  /**
   * Duplicate check for a request that creates no order (order query, settlement...): claims it, or says
   * it was seen (replay / in-progress / mismatch) or reversed. Finish with `completeRequest`.
   */
  claimRequest(request: RequestKey, fingerprint: string): Promise<ClaimResult>;
  /**
   * Store the response of a request that created no order (query, settlement, refused sale) or whose
   * order did not change, so a duplicate replays it. Only the claimed-and-executing record is completed.
   */
  completeRequest(request: RequestKey, response: Uint8Array): Promise<void>;

  getOrder(mid: string, rrn: string): Promise<Order | undefined>;
  /** By the request that created the order (sales, refunds, voids). */
  getOrderByRequest(tid: string, mid: string, batch: string, stan: string): Promise<Order | undefined>;
  /** Wallet notifications carry only our merchant order number. */
  getOrderByOutTradeNo(outTradeNo: string): Promise<Order | undefined>;

  getBatchTotals(mid: string, tid: string, batch: string): Promise<BatchTotals>;
  /** `day` is YYYYMMDD (Asia/Shanghai); default today. */
  getDailyCounters(mid: string, day?: string): Promise<DailyCounters>;

  /** Orders needing recovery (non-final, next check due), oldest first. Entries of final orders are dropped. */
  listRecoverable(now: number, limit: number): Promise<Order[]>;
  /** Set when recovery should look at an order next (e.g. after a wallet query said "still paying"). */
  scheduleCheck(order: Order, at: number): Promise<void>;

  /** A lease for one unit of work shared by several nodes (SET NX PX). True when `owner` now holds it. */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Extends the lease only if `owner` still holds it. */
  renewLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Releases the lease only if `owner` still holds it. */
  releaseLease(name: string, owner: string): Promise<boolean>;

  /** Add or replace the push for an order (normally done by `transition` with `push`). */
  putPush(push: Omit<PendingPush, 'attempts' | 'createdAt' | 'expiresAt'> & { now?: number }): Promise<void>;
  /** Pending pushes of one box (on reconnect), oldest first. */
  listPushesForTerminal(mid: string, tid: string): Promise<PendingPush[]>;
  /** Pushes whose next attempt is due, across all boxes, oldest first. */
  listDuePushes(now: number, limit: number): Promise<PendingPush[]>;
  /** Records a send; the push stays until acknowledged or expired. Returns false if it is gone. */
  markPushSent(mid: string, tid: string, rrn: string, nextAttemptAt: number): Promise<boolean>;
  /** The box answered 0630: forget the push. Returns false if it was already gone. */
  ackPush(mid: string, tid: string, rrn: string): Promise<boolean>;
}

export interface Store extends TerminalContextStore, TransactionStore {
  /** `memory`, `redis` or `redis-cluster`. */
  readonly backend: 'memory' | 'redis' | 'redis-cluster';
  /** True while the backend is reachable and answering; for /readyz. */
  readonly healthy: boolean;
  /** Resolves when the backend answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  /** Releases connections and timers. Further calls reject with StoreUnavailableError('closed'). */
  close(): Promise<void>;
}

export { createStore, type StoreOptions } from './factory.js';
