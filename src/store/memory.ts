// The embedded single-node store: the default of `boxfep serve`. JavaScript runs one call at a time, so
// each method below is atomic by construction (no await between its check and its write); the rules are
// the shared ones from logic.ts, the same the Redis scripts implement. Callers can never change stored
// state by mutating what they hold: values are copied in and out, except on the per-request read
// (getTerminalContext), which hands out the store's own deeply frozen terminal and working keys;
// those are replaced, never changed, on write (copy-on-write).
import type { MerchantRecord, SessionKeys, TerminalRecord, WalletCode } from '../terminals/types.js';
import { ByteSlab } from './byte-slab.js';
import { deepFreeze } from './deep-freeze.js';
import { StoreInputError, StoreUnavailableError } from './errors.js';
import { HashIndex, hashParts, type KeyScheme } from './hash-index.js';
import { businessDay, checkAmount, checkId, checkRequestKey, formatRrn, parseOutTradeNo } from './ids.js';
import {
  checkRefund,
  duplicateOf,
  executing,
  finishRequest,
  hasLimits,
  limitBreach,
  type NewOrderFields,
  newRequestRecord,
  parentStateAfterRefunds,
  type RequestRecord,
  type RequestSlot,
  transitionEffects,
} from './logic.js';
import { ownString } from './own-string.js';
import { privateMark } from './private-mark.js';
import { PushBook } from './push-book.js';
import { expiresAt, live } from './record-map.js';
import type { Store, TerminalContext } from './store.js';
import { changedAt, newStoredOrder, pushEvent, type StoredOrder, toOrder } from './stored-order.js';
import { TtlMap } from './ttl-map.js';
import {
  type BatchTotals,
  type BeginPaymentInput,
  type BeginPaymentResult,
  type BeginRefundInput,
  type BeginRefundResult,
  type BeginReversalInput,
  type BeginReversalResult,
  type ClaimResult,
  type DailyCounters,
  DEFAULT_TTLS,
  type DuplicateResult,
  FINAL_STATES,
  type Order,
  type PendingPush,
  type RequestKey,
  type StoreTtls,
  type TransitionInput,
  type TransitionResult,
  type TransitionStatus,
} from './types.js';

export interface MemoryStoreOptions {
  ttls?: Partial<StoreTtls>;
  /** A new order is looked at by recovery this long after creation unless finished first. Default 60 s. */
  recoveryDelayMs?: number;
  /** How often expired entries are swept. Default 60 s. */
  sweepIntervalMs?: number;
  /** Called each time a sweep pass has finished (tests). */
  onSwept?: () => void;
}

export class MemoryStore implements Store {
  readonly backend = 'memory' as const;
  readonly ttls: StoreTtls;
  readonly #recoveryDelayMs: number;
  #closed = false;
  readonly #sweeper: NodeJS.Timeout;
  /** The next slice of a running sweep pass. */
  #sweeping: NodeJS.Immediate | undefined;
  /** Called when a sweep pass has finished (tests). */
  readonly #swept: (() => void) | undefined;

  /** Deeply frozen records, replaced on write: getTerminalContext hands them out as they are. */
  readonly #terminals = new Map<string, TerminalRecord>();
  /** Deeply frozen, as the terminals. */
  readonly #sessionKeys = new TtlMap<SessionKeys>();
  readonly #macFailures = new TtlMap<number>();
  // One record per request or order, kept for days: records that carry their own expiry and key
  // fields, filed under a hash of those (hash-index.ts: no key strings). Requests by MTI, each by
  // MID, TID, batch and STAN; orders by MID and RRN, and by the request that began them.
  readonly #requests = new Map<string, HashIndex<RequestSlot, RequestRecord>>();
  readonly #tombstones = new TtlMap<true>();
  readonly #orders = new HashIndex(BY_RRN, BIG_MAP_SHARDS);
  readonly #byRequest = new HashIndex<RequestSlot, StoredOrder>(BY_REQUEST, BIG_MAP_SHARDS);
  readonly #daily = new TtlMap<DailyCounters>();
  readonly #batches = new TtlMap<BatchTotals>();
  /** Unfinished orders, by the stored order itself, and when recovery next looks at each. */
  readonly #recovery = new Map<StoredOrder, number>();
  /**
   * The stored form of each order a begin step handed out, as a private mark on the caller's copy:
   * the sale's transition finds its order without building its key and looking it up among every
   * order kept (private-mark.ts).
   */
  readonly #handedOut = privateMark<Order, StoredOrder>();
  readonly #leases = new TtlMap<string>();
  readonly #pushes = new PushBook();
  readonly #rrnSequence = new TtlMap<RrnCounter>();
  /** Where stored responses are copied to (all kept for `requestMs`). */
  readonly #responses = new ByteSlab();
  #rrnToday: RrnCounter | undefined;

  constructor(opts: MemoryStoreOptions = {}) {
    this.ttls = { ...DEFAULT_TTLS, ...opts.ttls };
    this.#recoveryDelayMs = opts.recoveryDelayMs ?? 60_000;
    this.#swept = opts.onSwept;
    this.#sweeper = setInterval(() => this.#sweep(), opts.sweepIntervalMs ?? 60_000);
    this.#sweeper.unref();
  }

  get healthy(): boolean {
    return !this.#closed;
  }

  async ping(): Promise<void> {
    this.#open();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    clearImmediate(this.#sweeping);
  }

  // ── terminals ────────────────────────────────────────────────────────────────────────────────

  async getTerminal(tid: string): Promise<TerminalRecord | undefined> {
    this.#open();
    const rec = this.#terminals.get(tid);
    return rec && cloneTerminal(rec);
  }

  async getTerminalContext(tid: string): Promise<TerminalContext | undefined> {
    this.#open();
    const rec = this.#terminals.get(tid);
    if (rec === undefined) return undefined;
    // No copies on the request path: both records are frozen (see putTerminal, putSessionKeys).
    return {
      terminal: rec,
      session: rec.keyMode === 'session' ? this.#sessionKeys.get(tid) : undefined,
      // Almost always empty: no lookup then (a box's failures are reset by its next good MAC).
      macFailures: this.#macFailures.size === 0 ? 0 : (this.#macFailures.get(tid) ?? 0),
    };
  }

  async putTerminal(rec: TerminalRecord): Promise<void> {
    this.#open();
    checkId('TID', rec.tid);
    this.#terminals.set(rec.tid, deepFreeze(structuredClone(rec)));
  }

  async listTerminals(): Promise<TerminalRecord[]> {
    this.#open();
    return [...this.#terminals.values()].sort(byTid).map((r) => structuredClone(r));
  }

  async getSessionKeys(tid: string): Promise<SessionKeys | undefined> {
    this.#open();
    const keys = this.#sessionKeys.get(tid);
    return keys && { ...keys };
  }

  async putSessionKeys(tid: string, keys: SessionKeys, ttlMs: number): Promise<void> {
    this.#open();
    checkId('TID', tid);
    checkTtl(ttlMs);
    this.#sessionKeys.set(tid, deepFreeze({ ...keys }), ttlMs);
  }

  async deleteSessionKeys(tid: string): Promise<void> {
    this.#open();
    this.#sessionKeys.delete(tid);
  }

  async incrMacFailures(tid: string): Promise<number> {
    this.#open();
    checkId('TID', tid);
    const n = (this.#macFailures.get(tid) ?? 0) + 1;
    this.#macFailures.set(tid, n, this.ttls.macFailureMs);
    return n;
  }

  async resetMacFailures(tid: string): Promise<void> {
    this.#open();
    this.#macFailures.delete(tid);
  }

  // ── requests and orders ─────────────────────────────────────────────────────────────────────

  async beginPayment(input: BeginPaymentInput): Promise<BeginPaymentResult> {
    this.#open();
    const { request: r } = input;
    checkRequestKey(r);
    checkAmount(input.amountFen);
    const wall = Date.now();
    const now = input.now ?? wall;

    const requests = this.#requestsOf(r.mti);
    const seen = requests.get(r, wall);
    if (seen) return duplicateOf(seen, input.fingerprint);
    if (this.#reversedFirst(r, wall)) return { status: 'reversed' };

    const limited = hasLimits(input.limits);
    const day = businessDay(now);
    const dayKey = `${r.mid}|${day}`;
    if (limited) {
      const counters = this.#daily.get(dayKey, wall) ?? { amountFen: 0, count: 0 };
      const breach = limitBreach(input.limits, counters, input.amountFen);
      if (breach) {
        requests.set(newRequestRecord(r, input.fingerprint, expiresAt(this.ttls.requestMs, wall)));
        return { status: 'limit', limit: breach };
      }
      this.#daily.set(
        dayKey,
        { amountFen: counters.amountFen + input.amountFen, count: counters.count + 1 },
        this.ttls.dailyMs,
        wall,
      );
    }

    const rrn = this.#nextRrn(now, wall);
    const state = input.initialState ?? (input.kind === 'sale' ? 'paying' : 'created');
    const order = this.#startOrder(r, requests, input.fingerprint, wall, {
      rrn,
      kind: input.kind,
      amountFen: input.amountFen,
      state,
      now,
      wallet: input.wallet,
      paymentCodeMasked: input.paymentCodeMasked,
      limitDay: limited ? day : undefined,
    });
    return { status: 'started', order };
  }

  async beginRefund(input: BeginRefundInput): Promise<BeginRefundResult> {
    this.#open();
    const { request: r } = input;
    checkRequestKey(r);
    checkAmount(input.amountFen);
    checkId('RRN', input.originalRrn, 12);
    const wall = Date.now();
    const now = input.now ?? wall;

    const requests = this.#requestsOf(r.mti);
    const seen = requests.get(r, wall);
    if (seen) return duplicateOf(seen, input.fingerprint);
    if (this.#reversedFirst(r, wall)) return { status: 'reversed' };

    const original = this.#orders.get({ mid: r.mid, rrn: input.originalRrn });
    const check = original ? checkRefund(original, input.kind, input.amountFen, r.batch) : undefined;
    if (!original || !check?.ok) {
      requests.set(newRequestRecord(r, input.fingerprint, expiresAt(this.ttls.requestMs, wall)));
    }
    if (!original || !check) return { status: 'original-not-found' };
    if (!check.ok) {
      return check.status === 'exceeds'
        ? { status: 'exceeds', remainingFen: check.remainingFen, original: toOrder(original) }
        : { status: 'not-allowed', reason: check.reason, original: toOrder(original) };
    }

    original.refundPendingFen += input.amountFen;
    changedAt(original, now);
    const rrn = this.#nextRrn(now, wall);
    const order = this.#startOrder(r, requests, input.fingerprint, wall, {
      rrn,
      kind: input.kind,
      amountFen: input.amountFen,
      state: 'paying',
      now,
      wallet: original.wallet,
      parentRrn: original.rrn,
    });
    return { status: 'started', order, original: toOrder(original) };
  }

  async beginReversal(input: BeginReversalInput): Promise<BeginReversalResult> {
    this.#open();
    const { request: r } = input;
    checkRequestKey(r);

    const requests = this.#requestsOf(r.mti);
    const wall = Date.now();
    const seen = requests.get(r, wall);
    if (seen) return duplicateOf(seen, input.fingerprint) as Exclude<DuplicateResult, { status: 'reversed' }>;
    requests.set(newRequestRecord(r, input.fingerprint, expiresAt(this.ttls.requestMs, wall)));
    const original = this.#byRequest.get(r, wall);
    if (original) return { status: 'started', original: toOrder(original) };
    this.#tombstones.set(tombKey(r), true, this.ttls.tombstoneMs);
    return { status: 'started' };
  }

  transition(current: Order, change: TransitionInput & { statusOnly: true }): Promise<TransitionStatus>;
  transition(current: Order, change: TransitionInput): Promise<TransitionResult>;
  async transition(current: Order, change: TransitionInput): Promise<TransitionResult | TransitionStatus> {
    this.#open();
    checkId('MID', current.mid, 15);
    const wall = Date.now();
    const now = change.now ?? wall;
    const order = this.#storedFormOf(current, wall);
    if (!order) return { status: 'not-found' };
    if (!change.from.includes(order.state)) return { status: 'conflict', order: toOrder(order) };

    const from = order.state;
    const fx = transitionEffects(order, from, change.to);
    if (fx.debit || fx.credit) {
      const bk = batchKey(order.mid, order.tid, order.batch);
      let t = this.#batches.touch(bk, this.ttls.batchMs, wall);
      if (!t) {
        t = { debitFen: 0, debitCount: 0, creditFen: 0, creditCount: 0 };
        this.#batches.set(bk, t, this.ttls.batchMs, wall);
      }
      t.debitFen += fx.debit * order.amountFen;
      t.debitCount += fx.debit;
      t.creditFen += fx.credit * order.amountFen;
      t.creditCount += fx.credit;
    }
    if (fx.releaseLimits && order.limitDay) {
      const dayKey = `${order.mid}|${order.limitDay}`;
      const c = this.#daily.get(dayKey);
      if (c) this.#daily.update(dayKey, { amountFen: c.amountFen - order.amountFen, count: c.count - 1 });
      order.limitDay = undefined;
    }
    if (fx.parent && order.parentRrn) {
      const parent = this.#orders.get({ mid: order.mid, rrn: order.parentRrn });
      if (parent) {
        parent.refundPendingFen += fx.parent.pendingDelta;
        parent.refundedFen += fx.parent.refundedDelta;
        const ps = parentStateAfterRefunds(parent);
        if (ps !== parent.state) pushEvent(parent, ps, now, `refund ${order.rrn}`);
        changedAt(parent, now);
      }
    }

    order.state = change.to;
    if (change.patch?.wallet) order.wallet = change.patch.wallet;
    if (change.patch?.channelOrderId) order.channelOrderId = ownString(change.patch.channelOrderId);
    changedAt(order, now);
    pushEvent(order, change.to, now, change.note);

    if (change.response) this.#complete(change.response.request, change.response.bytes, wall, order);
    if (change.push) {
      const { payload, nextAttemptAt, sending } = change.push;
      this.#putPush(order.mid, order.tid, order.rrn, payload, nextAttemptAt ?? now, now, sending ? 1 : 0);
    }
    if (FINAL_STATES.includes(change.to)) {
      this.#recovery.delete(order);
      order.openRequest = undefined;
    } else if (change.nextCheckAt !== undefined) this.#recovery.set(order, change.nextCheckAt);
    return change.statusOnly ? { status: 'ok' } : { status: 'ok', order: toOrder(order) };
  }

  async claimRequest(request: RequestKey, fingerprint: string): Promise<ClaimResult> {
    this.#open();
    checkRequestKey(request);
    const wall = Date.now();
    const requests = this.#requestsOf(request.mti);
    const seen = requests.get(request, wall);
    if (seen) return duplicateOf(seen, fingerprint);
    if (this.#reversedFirst(request, wall)) return { status: 'reversed' };
    requests.set(newRequestRecord(request, fingerprint, expiresAt(this.ttls.requestMs, wall)));
    return { status: 'claimed' };
  }

  async completeRequest(request: RequestKey, response: Uint8Array): Promise<void> {
    this.#open();
    checkRequestKey(request);
    this.#complete(request, response, Date.now());
  }

  async getOrder(mid: string, rrn: string): Promise<Order | undefined> {
    this.#open();
    const o = this.#orders.get({ mid, rrn });
    return o && toOrder(o);
  }

  async getOrderByRequest(tid: string, mid: string, batch: string, stan: string): Promise<Order | undefined> {
    this.#open();
    const o = this.#byRequest.get({ mid, tid, batch, stan });
    return o && toOrder(o);
  }

  async getOrderByOutTradeNo(outTradeNo: string): Promise<Order | undefined> {
    this.#open();
    const ref = parseOutTradeNo(outTradeNo);
    if (!ref) return undefined;
    const o = await this.getOrder(ref.mid, ref.rrn);
    return o?.outTradeNo === outTradeNo ? o : undefined;
  }

  async getBatchTotals(mid: string, tid: string, batch: string): Promise<BatchTotals> {
    this.#open();
    return {
      ...(this.#batches.get(batchKey(mid, tid, batch)) ?? { debitFen: 0, debitCount: 0, creditFen: 0, creditCount: 0 }),
    };
  }

  async getDailyCounters(mid: string, day = businessDay(Date.now())): Promise<DailyCounters> {
    this.#open();
    return { ...(this.#daily.get(`${mid}|${day}`) ?? { amountFen: 0, count: 0 }) };
  }

  // ── recovery and leases ─────────────────────────────────────────────────────────────────────

  async listRecoverable(now: number, limit: number): Promise<Order[]> {
    this.#open();
    // One pass over the index, copying only what is due (the index holds every unfinished order).
    const due: [StoredOrder, number][] = [];
    for (const entry of this.#recovery) if (entry[1] <= now) due.push(entry);
    due.sort((a, b) => a[1] - b[1]);
    const out: Order[] = [];
    const wall = Date.now();
    for (const [o] of due) {
      if (out.length >= limit) break;
      if (!live(o, wall) || FINAL_STATES.includes(o.state)) this.#recovery.delete(o);
      else out.push(toOrder(o));
    }
    return out;
  }

  async scheduleCheck(order: Order, at: number): Promise<void> {
    this.#open();
    const stored = this.#storedFormOf(order, Date.now());
    if (stored) this.#recovery.set(stored, at);
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    this.#open();
    checkTtl(ttlMs);
    if (this.#leases.has(name)) return false;
    this.#leases.set(name, owner, ttlMs);
    return true;
  }

  async renewLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    this.#open();
    checkTtl(ttlMs);
    if (this.#leases.get(name) !== owner) return false;
    this.#leases.set(name, owner, ttlMs);
    return true;
  }

  async releaseLease(name: string, owner: string): Promise<boolean> {
    this.#open();
    if (this.#leases.get(name) !== owner) return false;
    return this.#leases.delete(name);
  }

  // ── pushes ──────────────────────────────────────────────────────────────────────────────────

  async putPush(push: Omit<PendingPush, 'attempts' | 'createdAt' | 'expiresAt'> & { now?: number }): Promise<void> {
    this.#open();
    checkId('MID', push.mid, 15);
    checkId('TID', push.tid, 8);
    checkId('RRN', push.rrn, 12);
    const now = push.now ?? Date.now();
    this.#putPush(push.mid, push.tid, push.rrn, push.payload, push.nextAttemptAt, now);
  }

  async listPushesForTerminal(mid: string, tid: string): Promise<PendingPush[]> {
    this.#open();
    return this.#pushes
      .ofBox(mid, tid)
      .map(clonePush)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async listDuePushes(now: number, limit: number): Promise<PendingPush[]> {
    this.#open();
    // One pass copying only what is due: pushes to offline boxes wait here for up to a day.
    const due: PendingPush[] = [];
    for (const p of this.#pushes.live()) if (p.nextAttemptAt <= now) due.push(p);
    return due
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt)
      .slice(0, limit)
      .map(clonePush);
  }

  async markPushSent(mid: string, tid: string, rrn: string, nextAttemptAt: number): Promise<boolean> {
    this.#open();
    const p = this.#pushes.get(mid, tid, rrn);
    if (!p) return false;
    p.attempts += 1;
    p.nextAttemptAt = nextAttemptAt;
    return true;
  }

  async ackPush(mid: string, tid: string, rrn: string): Promise<boolean> {
    this.#open();
    return this.#pushes.delete(mid, tid, rrn);
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────

  #open(): void {
    if (this.#closed) throw new StoreUnavailableError('store is closed', 'closed');
  }

  /**
   * The next RRN of `now`'s business day. The day's counter object is held on to while the day lasts
   * (no map lookup per RRN); the map keeps it for a day seen again, its lifetime renewed hourly.
   */
  #nextRrn(now: number, wall: number): string {
    const day = businessDay(now);
    let counter = this.#rrnToday;
    if (counter?.day !== day) {
      counter = this.#rrnSequence.get(day, wall);
      if (!counter) {
        counter = { day, seq: 0, renewAt: 0 };
        this.#rrnSequence.set(day, counter, RRN_DAY_TTL_MS, wall);
      }
      this.#rrnToday = counter;
    }
    if (wall >= counter.renewAt) {
      if (!this.#rrnSequence.touch(day, RRN_DAY_TTL_MS, wall))
        this.#rrnSequence.set(day, counter, RRN_DAY_TTL_MS, wall);
      counter.renewAt = wall + 3600_000;
    }
    return formatRrn(now, ++counter.seq);
  }

  /** Did a reversal reach this request key first? (No lookup at all while there are no tombstones.) */
  #reversedFirst(r: RequestSlot, wall: number): boolean {
    return this.#tombstones.size > 0 && this.#tombstones.has(tombKey(r), wall);
  }

  /** The requests of one MTI (a handful of MTIs reach the store: the flows' requests). */
  #requestsOf(mti: string): HashIndex<RequestSlot, RequestRecord> {
    let m = this.#requests.get(mti);
    if (m === undefined) {
      m = new HashIndex<RequestSlot, RequestRecord>(BY_REQUEST, BIG_MAP_SHARDS);
      this.#requests.set(mti, m);
    }
    return m;
  }

  /**
   * A started request's record and the order it begins, written together; returns the caller's copy
   * of the order, marked as a copy of the stored one (#handedOut).
   */
  #startOrder(
    r: RequestKey,
    requests: HashIndex<RequestSlot, RequestRecord>,
    fingerprint: string,
    wall: number,
    fields: NewOrderFields,
  ): Order {
    const request = newRequestRecord(r, fingerprint, expiresAt(this.ttls.requestMs, wall), fields.rrn);
    requests.set(request);
    const order = newStoredOrder(r, fields, expiresAt(this.ttls.orderMs, wall), request);
    this.#orders.set(order);
    this.#byRequest.set(order);
    this.#recovery.set(order, fields.now + this.#recoveryDelayMs);
    const copy = toOrder(order);
    this.#handedOut.set(copy, order);
    return copy;
  }

  /** The live stored order `current` is a copy of: the one it was handed out as, or by its key. */
  #storedFormOf(current: Order, wall: number): StoredOrder | undefined {
    const o = this.#handedOut.get(current);
    // The copy may have been relabelled since (a test does): the mark counts only for the same order.
    if (o !== undefined && BY_RRN.matches(o, current) && live(o, wall)) return o;
    return this.#orders.get(current, wall);
  }

  /**
   * Stores the response of `request`, if it is still executing. `order`, the order a transition
   * changes, holds the record of the request that began it until then: no lookup for a sale's answer.
   */
  #complete(request: RequestKey, response: Uint8Array, wall: number, order?: StoredOrder): void {
    let rec: RequestRecord | undefined;
    const open = order?.openRequest;
    if (order !== undefined && open !== undefined && beganBy(order, request)) {
      order.openRequest = undefined;
      // Expired: a record under the same key now, if any, is a later request's (looked up below).
      if (live(open, wall)) rec = open;
    }
    rec ??= this.#requests.get(request.mti)?.get(request, wall);
    if (rec === undefined || !executing(rec)) return;
    // The record is the store's own (callers only ever see its fields): finish it in place.
    finishRequest(rec, this.#responses, response);
  }

  #putPush(
    mid: string,
    tid: string,
    rrn: string,
    payload: Uint8Array,
    nextAttemptAt: number,
    now: number,
    attempts = 0,
  ): void {
    const push: PendingPush = {
      mid,
      tid,
      rrn,
      payload: new Uint8Array(payload),
      attempts,
      nextAttemptAt,
      createdAt: now,
      expiresAt: now + this.ttls.pushMs,
    };
    this.#pushes.put(push, this.ttls.pushMs);
  }

  /**
   * Starts a sweep pass unless one is running. The maps hold every order and request of days, so a
   * pass goes in slices of SWEEP_SLICE entries, one per event-loop turn: requests keep being served
   * in between instead of waiting out one pause in proportion to everything stored.
   */
  #sweep(): void {
    if (this.#sweeping || this.#closed) return;
    const maps: { sweepSome(limit: number, now: number): boolean }[] = [
      this.#sessionKeys,
      this.#macFailures,
      ...this.#requests.values(),
      this.#tombstones,
      this.#orders,
      this.#byRequest,
      this.#daily,
      this.#batches,
      this.#leases,
      this.#pushes,
      this.#rrnSequence,
    ];
    let i = 0;
    const slice = () => {
      this.#sweeping = undefined;
      if (this.#closed) return;
      const now = Date.now();
      if (maps[i].sweepSome(SWEEP_SLICE, now)) i++;
      if (i < maps.length) {
        this.#sweeping = setImmediate(slice).unref();
        return;
      }
      // The recovery index holds unfinished orders only: small, done in one go.
      for (const o of this.#recovery.keys()) if (!live(o, now)) this.#recovery.delete(o);
      this.#swept?.();
    };
    this.#sweeping = setImmediate(slice).unref();
  }
}

/** A business day's RRN sequence; `renewAt` (wall clock) is when its map entry's lifetime is next renewed. */
interface RrnCounter {
  day: string;
  seq: number;
  renewAt: number;
}

/** Shards of the maps that grow with every transaction: a table doubling copies 1/16 of them. */
const BIG_MAP_SHARDS = 16;

/** Entries looked at per event-loop turn while sweeping: about a quarter of a millisecond. */
const SWEEP_SLICE = 5_000;

/** A day's RRN counter outlives the day by a day (a late request dated yesterday continues its count). */
const RRN_DAY_TTL_MS = 48 * 3600_000;

/** Request records and orders by the request (MID, TID, batch, STAN; the MTI is the index's own). */
const BY_REQUEST: KeyScheme<RequestSlot, RequestSlot> = {
  hash: (k) => hashParts(k.mid, k.tid, k.batch, k.stan),
  matches: (r, k) => r.stan === k.stan && r.tid === k.tid && r.mid === k.mid && r.batch === k.batch,
};

/** Orders by MID and RRN. */
const BY_RRN: KeyScheme<OrderRef, StoredOrder> = {
  hash: (k) => hashParts(k.mid, k.rrn),
  matches: (o, k) => o.rrn === k.rrn && o.mid === k.mid,
};

interface OrderRef {
  readonly mid: string;
  readonly rrn: string;
}

/**
 * A reversal tombstone's key. Built with join, not `+` or a template: concatenation makes a tree of
 * cons strings, and the one a map keeps stays behind as an extra 32-byte object per key once hashing
 * has flattened it; join writes one flat string.
 */
function tombKey(r: RequestSlot): string {
  return [r.mid, r.tid, r.batch, r.stan].join('|');
}

/** Did `request` begin `order`? (The flows pass the same strings: mostly identity compares.) */
function beganBy(order: StoredOrder, request: RequestKey): boolean {
  return BY_REQUEST.matches(order, request) && order.mti === request.mti;
}

function batchKey(mid: string, tid: string, batch: string): string {
  return `${mid}|${tid}|${batch}`;
}

/**
 * A caller's own copy of a terminal, for getTerminal (admin commands change it and put it back): its
 * shape is known (the merchant, its limits and wallet accounts are the only nested objects, all flat),
 * so a spread copy is exact and avoids `structuredClone`.
 */
function cloneTerminal(t: TerminalRecord): TerminalRecord {
  const m = t.merchant;
  const wallets: MerchantRecord['wallets'] = {};
  for (const w of Object.keys(m.wallets) as WalletCode[]) {
    const a = m.wallets[w];
    if (a) wallets[w] = { ...a };
  }
  return { ...t, merchant: { ...m, limits: { ...m.limits }, wallets } };
}

// Payloads are copied by the typed-array constructor (one memcpy): `Uint8Array.from` goes through the
// iterator protocol, ~1.4k instructions more per 165-byte push.
function clonePush(p: PendingPush): PendingPush {
  return { ...p, payload: new Uint8Array(p.payload) };
}

function byTid(a: TerminalRecord, b: TerminalRecord): number {
  return a.tid < b.tid ? -1 : a.tid > b.tid ? 1 : 0;
}

function checkTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0)
    throw new StoreInputError(`TTL must be a positive integer of ms: ${ttlMs}`);
}
