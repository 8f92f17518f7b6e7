// A payment whose outcome is not final yet ("user is paying", a wallet system error, a timeout):
// query every interval until the wallet says paid or failed, or until the deadline; then cancel
// (reverse) at the wallet — never a new pay with another order number (§7). Both loops are bounded
// by time, so the box's answer leaves within the deadline plus the cancel budget.
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChannelResult } from '../channels/channel.js';
import { walletQueries } from '../metrics/flows.js';
import type { Order } from '../store/store.js';
import type { FlowDeps } from './context.js';
import { Deadline, walletDeadlines } from './deadlines.js';
import type { WalletRoute } from './wallet.js';

export type Resolution =
  /** The wallet gave a final answer: success or failed. */
  | { final: true; result: ChannelResult }
  /** Still paying or unknown at the deadline; `last` is the last thing the wallet said. */
  | { final: false; last: ChannelResult; sawUserPaying: boolean };

/** Not-found after an unanswered pay means the wallet never booked it: stop asking, cancel. */
const neverBooked = (r: ChannelResult) => r.outcome === 'failed' && r.reason === 'not-found';
/** A query refused before it left (breaker open, busy) says nothing about the money. */
const notAsked = (r: ChannelResult) => r.outcome === 'failed' && r.reason === 'channel-unavailable';

export async function queryUntilFinal(
  deps: FlowDeps,
  route: WalletRoute,
  order: Order,
  first: ChannelResult,
  deadline: number,
): Promise<Resolution> {
  let last = first;
  let sawUserPaying = first.outcome === 'user-paying';
  const ref = { account: route.account, outTradeNo: order.outTradeNo };
  // Bounded by the deadline; the count bound is a guard against a clock that does not move.
  for (let i = 0; i < 100_000; i++) {
    const wait = Math.min(deps.timing.queryIntervalMs, deadline - Date.now());
    if (wait <= 0) break;
    await sleep(wait);
    walletQueries.inc({ wallet: route.wallet });
    const answer = await within(route.channel.query(ref), deadline - Date.now());
    if (answer === undefined) break;
    if (neverBooked(answer)) return { final: false, last, sawUserPaying };
    if (notAsked(answer)) continue;
    if (answer.outcome === 'success' || answer.outcome === 'failed') return { final: true, result: answer };
    if (answer.outcome === 'user-paying') sawUserPaying = true;
    last = answer;
  }
  return { final: false, last, sawUserPaying };
}

/** Cancels (reverses) the order at the wallet; undefined when no answer came within `budgetMs`. */
export function cancelWithin(route: WalletRoute, order: Order, budgetMs: number): Promise<ChannelResult | undefined> {
  return within(route.channel.cancel({ account: route.account, outTradeNo: order.outTradeNo }), budgetMs);
}

/** Did a cancel leave the order certainly without money moved (or with it returned)? */
export function cancelled(r: ChannelResult | undefined): boolean {
  if (r === undefined) return false;
  if (r.outcome === 'success') return true;
  return (
    r.outcome === 'failed' && (r.reason === 'order-closed' || r.reason === 'order-reversed' || r.reason === 'not-found')
  );
}

/** A `within` wait: its promise's resolving functions, and the deadline that settles it with undefined. */
class WithinWait<T> extends Deadline {
  constructor(
    readonly resolve: (value: T | undefined) => void,
    readonly reject: (error: unknown) => void,
  ) {
    super();
  }

  expire(): void {
    this.resolve(undefined);
  }
}

/**
 * The call's result, or undefined once `ms` have passed (the call itself finishes in the background).
 * One promise settled by whichever comes first, rather than Promise.race over a second promise: once
 * per wallet call, so its allocations count. The deadline is an entry in one shared heap, not a
 * Timeout of its own.
 */
export function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  if (ms <= 0) {
    // No time at all: no answer, and the call's rejection (if any) dropped, not left unhandled.
    work.then(undefined, ignoreLate);
    return Promise.resolve(undefined);
  }
  return new Promise<T | undefined>((resolve, reject) => {
    const wait = new WithinWait<T>(resolve, reject);
    walletDeadlines.add(wait, ms);
    // Both outcomes handled: a rejection after the deadline is dropped, never an unhandled one.
    work.then(
      (value) => {
        walletDeadlines.remove(wait);
        wait.resolve(value);
      },
      (error: unknown) => {
        walletDeadlines.remove(wait);
        wait.reject(error);
      },
    );
  });
}

function ignoreLate(): void {}

/** How many wallet waits (`within`, a sale's pay) are running (tests). */
export function waitsRunning(): number {
  return walletDeadlines.size;
}
