// The memory store's own form of an order, kept for `orderMs` (7 days): every object it holds is
// copied by the scavenges it lives through, then visited by each mark-compact, so it is one object
// of fixed shape with its times as small integers (process-epoch.ts) and its events as one flat
// array, instead of a literal with three epoch-ms HeapNumbers, an events array and an object plus a
// HeapNumber per event (~384 → ~280 bytes and 9 → 3 objects for a finished sale). Callers only ever
// get an `Order` made by `toOrder`.

import { makeOutTradeNo } from './ids.js';
import type { NewOrderFields } from './logic.js';
import { EPOCH } from './process-epoch.js';
import {
  ORDER_EVENT_CAP,
  type Order,
  type OrderEvent,
  type OrderKind,
  type OrderState,
  type RequestKey,
  type WalletCode,
} from './types.js';

/** Slots per event in `StoredOrder.events`: at (ms after EPOCH), state, note (undefined when none). */
const SLOTS = 3;

export class StoredOrder {
  readonly rrn: string;
  readonly tid: string;
  readonly mid: string;
  readonly batch: string;
  readonly stan: string;
  readonly mti: string;
  readonly kind: OrderKind;
  readonly amountFen: number;
  wallet: WalletCode | undefined;
  channelOrderId: string | undefined = undefined;
  readonly paymentCodeMasked: string | undefined;
  readonly outTradeNo: string;
  state: OrderState;
  refundedFen = 0;
  refundPendingFen = 0;
  readonly parentRrn: string | undefined;
  limitDay: string | undefined;
  /** ms after EPOCH; null only while constructing (process-epoch.ts). */
  created: number | null = null;
  updated: number | null = null;
  /** The last ORDER_EVENT_CAP events, oldest first, SLOTS slots each. */
  events: (number | string | undefined)[];

  /** The order a begun sale, precreate, refund or void writes (the fields of logic.ts `newOrder`). */
  constructor(r: RequestKey, f: NewOrderFields) {
    this.rrn = f.rrn;
    this.tid = r.tid;
    this.mid = r.mid;
    this.batch = r.batch;
    this.stan = r.stan;
    this.mti = r.mti;
    this.kind = f.kind;
    this.amountFen = f.amountFen;
    this.wallet = f.wallet || undefined;
    this.paymentCodeMasked = f.paymentCodeMasked || undefined;
    this.outTradeNo = makeOutTradeNo(r.mid, f.rrn, f.now);
    this.state = f.state;
    this.parentRrn = f.parentRrn || undefined;
    this.limitDay = f.limitDay || undefined;
    const at = f.now - EPOCH;
    this.created = at;
    this.updated = at;
    this.events = [at, f.state, undefined];
  }

  /** Sets `updatedAt` (epoch ms). */
  changedAt(now: number): void {
    this.updated = now - EPOCH;
  }

  /**
   * Appends an event, keeping the last ORDER_EVENT_CAP, and sets the state. A new array of the exact
   * length rather than `push`, which grows the stored array's capacity well beyond what it holds.
   */
  pushEvent(state: OrderState, now: number, note?: string): void {
    const old = this.events;
    const keep = Math.min(old.length / SLOTS, ORDER_EVENT_CAP - 1) * SLOTS;
    const events = new Array<number | string | undefined>(keep + SLOTS);
    for (let i = 0; i < keep; i++) events[i] = old[old.length - keep + i];
    events[keep] = now - EPOCH;
    events[keep + 1] = state;
    events[keep + 2] = note || undefined;
    this.events = events;
    this.state = state;
  }

  /** A caller's own copy, in the shape and key order of logic.ts `newOrder`. */
  toOrder(): Order {
    const ev = this.events;
    const events = new Array<OrderEvent>(ev.length / SLOTS);
    for (let i = 0, j = 0; i < events.length; i++, j += SLOTS) {
      const at = (ev[j] as number) + EPOCH;
      const state = ev[j + 1] as OrderState;
      const note = ev[j + 2] as string | undefined;
      events[i] = note === undefined ? { at, state } : { at, state, note };
    }
    const o: Order = {
      rrn: this.rrn,
      tid: this.tid,
      mid: this.mid,
      batch: this.batch,
      stan: this.stan,
      mti: this.mti,
      kind: this.kind,
      amountFen: this.amountFen,
      outTradeNo: this.outTradeNo,
      state: this.state,
      refundedFen: this.refundedFen,
      refundPendingFen: this.refundPendingFen,
      createdAt: (this.created as number) + EPOCH,
      updatedAt: (this.updated as number) + EPOCH,
      events,
    };
    if (this.wallet !== undefined) o.wallet = this.wallet;
    if (this.paymentCodeMasked !== undefined) o.paymentCodeMasked = this.paymentCodeMasked;
    if (this.parentRrn !== undefined) o.parentRrn = this.parentRrn;
    if (this.limitDay !== undefined) o.limitDay = this.limitDay;
    if (this.channelOrderId !== undefined) o.channelOrderId = this.channelOrderId;
    return o;
  }
}
