// The memory store's own form of an order, kept for `orderMs` (7 days): every object it holds is
// copied by the scavenges it lives through, then visited by each mark-compact. So it is one object of
// fixed shape: times as small integers (process-epoch.ts), events as one flat array, and no
// out-trade-no string of its own (MID + YY + RRN, made again by `toOrder`), where an `Order` literal
// had three epoch-ms HeapNumbers, an events array and an object plus a HeapNumber per event (a
// finished sale: 9 objects, ~430 bytes → 3 objects, ~280 bytes). Callers only ever get an `Order`
// made by `toOrder`.
//
// It carries its own expiry (record-map.ts) and its key fields: the indexes by RRN and by request
// hold it directly (hash-index.ts).
//
// Made by object literals, not a class: V8 allocates a literal site's objects in the old generation
// directly once most of them outlive a scavenge, where constructed objects are always copied by two
// scavenges first.
import { outTradeNoYear } from './ids.js';
import type { NewOrderFields, RequestRecord } from './logic.js';
import { ownString } from './own-string.js';
import { EPOCH } from './process-epoch.js';
import type { Expiring } from './record-map.js';
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

export interface StoredOrder extends Expiring {
  readonly rrn: string;
  readonly tid: string;
  readonly mid: string;
  readonly batch: string;
  readonly stan: string;
  readonly mti: string;
  readonly kind: OrderKind;
  readonly amountFen: number;
  wallet: WalletCode | undefined;
  channelOrderId: string | undefined;
  readonly paymentCodeMasked: string | undefined;
  /** The out-trade-no's YY (MID + YY + RRN, ids.ts `makeOutTradeNo`): a string shared by the day's orders. */
  readonly yy: string;
  state: OrderState;
  refundedFen: number;
  refundPendingFen: number;
  readonly parentRrn: string | undefined;
  limitDay: string | undefined;
  /** ms after EPOCH; typed "any value" by V8 (see below). */
  readonly created: number | null;
  updated: number | null;
  /** The last ORDER_EVENT_CAP events, oldest first, SLOTS slots each. */
  events: (number | string | null | undefined)[];
  /**
   * The record of the request that began the order, until its response is stored or the order is
   * final: the sale's last store step finishes it without looking it up again (memory.ts `transition`).
   * Dropped then, so that an order kept for days does not keep a request record and its slab alive.
   */
  openRequest: RequestRecord | undefined;
}

/**
 * The order a begun sale, precreate, refund or void writes (the fields of logic.ts `newOrder`),
 * expiring at `expires` (ms after EPOCH), begun by the request whose record is `request`.
 */
export function newStoredOrder(
  r: RequestKey,
  f: NewOrderFields,
  expires: number,
  request: RequestRecord | undefined,
): StoredOrder {
  return storedOrder(r, f, f.now - EPOCH, expires, request);
}

function storedOrder(
  r: RequestKey,
  f: NewOrderFields,
  at: number | null,
  expires: number | null,
  openRequest: RequestRecord | undefined,
): StoredOrder {
  return {
    rrn: f.rrn,
    tid: r.tid,
    mid: r.mid,
    batch: r.batch,
    stan: r.stan,
    mti: r.mti,
    kind: f.kind,
    amountFen: f.amountFen,
    wallet: f.wallet || undefined,
    channelOrderId: undefined,
    paymentCodeMasked: f.paymentCodeMasked ? ownString(f.paymentCodeMasked) : undefined,
    yy: outTradeNoYear(f.now),
    state: f.state,
    refundedFen: 0,
    refundPendingFen: 0,
    parentRrn: f.parentRrn || undefined,
    limitDay: f.limitDay || undefined,
    created: at,
    updated: at,
    events: [at, f.state, undefined],
    expires,
    openRequest,
  };
}
// One order with null times first: the time fields are then typed "any value", so a time outside the
// small-integer range (a test's fixed clock) is boxed in its own order only, not in every order.
storedOrder(
  { tid: '', mid: '', batch: '', stan: '', mti: '' },
  { rrn: '', kind: 'sale', amountFen: 0, state: 'created', now: EPOCH },
  null,
  null,
  undefined,
);

/** Sets `updatedAt` (epoch ms). */
export function changedAt(o: StoredOrder, now: number): void {
  o.updated = now - EPOCH;
}

/**
 * Appends an event, keeping the last ORDER_EVENT_CAP, and sets the state. A new array of the exact
 * length rather than `push`, which grows the stored array's capacity well beyond what it holds; the
 * usual second event by a literal (pretenured like the order).
 */
export function pushEvent(o: StoredOrder, state: OrderState, now: number, note?: string): void {
  const old = o.events;
  const at = now - EPOCH;
  const kept = note ? ownString(note) : undefined;
  if (old.length === SLOTS) {
    o.events = [old[0], old[1], old[2], at, state, kept];
  } else {
    const keep = Math.min(old.length / SLOTS, ORDER_EVENT_CAP - 1) * SLOTS;
    const events = new Array<number | string | null | undefined>(keep + SLOTS);
    for (let i = 0; i < keep; i++) events[i] = old[old.length - keep + i];
    events[keep] = at;
    events[keep + 1] = state;
    events[keep + 2] = kept;
    o.events = events;
  }
  o.state = state;
}

/** A caller's own copy (the store's object must not change under it). */
export function toOrder(s: StoredOrder): Order {
  const ev = s.events;
  const events = new Array<OrderEvent>(ev.length / SLOTS);
  for (let i = 0, j = 0; i < events.length; i++, j += SLOTS) {
    const at = (ev[j] as number) + EPOCH;
    const state = ev[j + 1] as OrderState;
    const note = ev[j + 2] as string | undefined;
    events[i] = note === undefined ? { at, state } : { at, state, note };
  }
  const o: Order = {
    rrn: s.rrn,
    tid: s.tid,
    mid: s.mid,
    batch: s.batch,
    stan: s.stan,
    mti: s.mti,
    kind: s.kind,
    amountFen: s.amountFen,
    outTradeNo: [s.mid, s.yy, s.rrn].join(''),
    state: s.state,
    refundedFen: s.refundedFen,
    refundPendingFen: s.refundPendingFen,
    createdAt: (s.created as number) + EPOCH,
    updatedAt: (s.updated as number) + EPOCH,
    events,
  };
  if (s.wallet !== undefined) o.wallet = s.wallet;
  if (s.paymentCodeMasked !== undefined) o.paymentCodeMasked = s.paymentCodeMasked;
  if (s.parentRrn !== undefined) o.parentRrn = s.parentRrn;
  if (s.limitDay !== undefined) o.limitDay = s.limitDay;
  if (s.channelOrderId !== undefined) o.channelOrderId = s.channelOrderId;
  return o;
}
