// The background resolver: orders left non-final (a wallet that never answered, a crash, a C2B order
// waiting for its customer) come back through the store's recovery index when their next check is
// due. One node at a time works the queue, under a lease. What happens depends only on what the
// order records, so any node — or a fresh process after a crash — finishes it the same way:
//   sale, paying past its deadline (a crash)    → query: declined → failed; else cancel/reverse → cancelled
//   sale unknown (cancel pending, reversing)    → cancel at the wallet → cancelled
//   precreate being reversed / never created    → cancel at the wallet → cancelled
//   precreate awaiting payment                  → query → paid (push) | expired → close (push)
//   refund / void unknown                       → the same refund again (same refund number)
// A sale is never finished as paid here: its box had no approval (it timed out or was told 98), so
// money the wallet took is given back by the cancel (a reversal), and both sides' totals agree.
// The lease is renewed while a pass runs; a node that loses it (a long pause, a partition) stops
// after its current chunk, and one that dies stops renewing, so another takes over within the lease.
import { randomUUID } from 'node:crypto';
import type { WalletReason } from '../channels/outcomes.js';
import { recovered, recoveryDue, recoveryLastRun, recoveryRuns } from '../metrics/flows.js';
import type { Order, RequestKey } from '../store/store.js';
import type { MerchantRecord } from '../terminals/types.js';
import { answerFor } from './answers.js';
import { applyC2bResult } from './c2b.js';
import type { FlowDeps } from './context.js';
import { closeDueAt, expireC2b } from './expiry.js';
import { walletRefund } from './money-back.js';
import { cancelled, cancelWithin, within } from './pending.js';
import { encodeResult } from './stored-answer.js';
import { orderRoute } from './wallet.js';

export const RECOVERY_LEASE = 'flows:recovery';

/** Query answers that say the wallet refused the payment itself: nothing moved, nothing to cancel. */
const DECLINES: ReadonlySet<WalletReason> = new Set([
  'insufficient-funds',
  'code-expired',
  'invalid-code',
  'user-cancelled',
  'declined',
  'invalid-amount',
  'invalid-merchant',
]);

const requestOf = (o: Order): RequestKey => ({ tid: o.tid, mid: o.mid, batch: o.batch, stan: o.stan, mti: o.mti });

export interface ResolverOptions {
  tickMs?: number;
  /** Orders listed at a time; a pass keeps listing while batches come back full. */
  batch?: number;
  /**
   * A pass stops listing more due orders after this long (default 4 × tickMs), so a backlog is
   * worked in bounded slices — but all of it when it is small: one batch per tick would cap the
   * resolver at `batch` orders a second (C2B orders polled every 15 s are due at the precreate rate).
   */
  passBudgetMs?: number;
  /** How long a claim outlives its holder: the takeover time after a node dies. Default 10 s. */
  leaseMs?: number;
}

export class Resolver {
  readonly owner = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly tickMs: number;
  private readonly batch: number;
  private readonly leaseMs: number;
  private readonly passBudgetMs: number;

  constructor(
    private readonly deps: FlowDeps,
    opts: ResolverOptions = {},
  ) {
    this.tickMs = opts.tickMs ?? 1_000;
    this.batch = opts.batch ?? 50;
    this.leaseMs = opts.leaseMs ?? 10_000;
    this.passBudgetMs = opts.passBudgetMs ?? 4 * this.tickMs;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.deps.store.releaseLease(RECOVERY_LEASE, this.owner).catch(() => false);
  }

  /** One pass, if this node holds (or can take) the lease. Overlapping calls share the pass. */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    const { store, logger } = this.deps;
    const ttl = this.leaseMs;
    let heartbeat: NodeJS.Timeout | undefined;
    try {
      const held =
        (await store.renewLease(RECOVERY_LEASE, this.owner, ttl)) ||
        (await store.acquireLease(RECOVERY_LEASE, this.owner, ttl));
      if (!held) {
        recoveryRuns.inc({ result: 'standby' });
        return;
      }
      // A live node keeps its claim however long a wallet call takes; a dead one loses it after `ttl`.
      let lost = false;
      heartbeat = setInterval(
        () => {
          store.renewLease(RECOVERY_LEASE, this.owner, ttl).then(
            (ok) => {
              lost ||= !ok;
            },
            () => undefined,
          );
        },
        Math.max(50, Math.floor(ttl / 3)),
      );
      heartbeat.unref();
      const started = Date.now();
      const worked = new Set<string>();
      let seen = 0;
      for (;;) {
        const listed = await store.listRecoverable(Date.now(), this.batch);
        // An order this pass already worked and that is due again (a failed check retried soon)
        // waits for the next pass; a batch of nothing new ends this one.
        const due = listed.filter((o) => !worked.has(`${o.mid}|${o.rrn}`));
        for (const o of due) worked.add(`${o.mid}|${o.rrn}`);
        seen += due.length;
        for (let i = 0; i < due.length && !lost; i += 8) {
          await Promise.all(due.slice(i, i + 8).map((o) => this.resolveSafely(o)));
        }
        if (lost || due.length === 0 || listed.length < this.batch) break;
        if (Date.now() - started >= this.passBudgetMs) break;
      }
      recoveryDue.set(seen);
      recoveryRuns.inc({ result: lost ? 'lease-lost' : 'ran' });
      recoveryLastRun.setToCurrentTime();
    } catch (err) {
      recoveryRuns.inc({ result: 'failed' });
      logger.warn({ err }, 'recovery pass failed');
    } finally {
      clearInterval(heartbeat);
    }
  }

  private async resolveSafely(order: Order): Promise<void> {
    try {
      const result = await this.resolve(order);
      recovered.inc({ kind: order.kind, result });
    } catch (err) {
      recovered.inc({ kind: order.kind, result: 'error' });
      this.deps.logger.warn({ err, rrn: order.rrn }, 'recovery of an order failed');
      await this.deps.store.scheduleCheck(order, Date.now() + this.retryMs()).catch(() => undefined);
    }
  }

  private retryMs(): number {
    return Math.max(1_000, this.deps.timing.queryIntervalMs * 4);
  }

  /** Finishes or re-schedules one order; returns what happened, for the metric. */
  async resolve(order: Order): Promise<string> {
    // Read as the box server reads it: no copy (only the merchant is read here), and on Redis from the
    // node's terminal cache when it has the terminal.
    const context = await this.deps.store.getTerminalContext(order.tid);
    if (!context) return 'no-terminal';
    const merchant = context.terminal.merchant;
    const young = order.createdAt + this.deps.timing.payDeadlineMs + this.deps.timing.cancelBudgetMs;
    if (order.kind !== 'precreate' && order.state === 'paying' && Date.now() < young) {
      // Its own handler is still within the deadline: look again after.
      await this.deps.store.scheduleCheck(order, young + 1_000);
      return 'in-flight';
    }
    if (order.kind === 'refund' || order.kind === 'void') return this.retryRefund(merchant, order);
    if (order.kind === 'sale' && order.state === 'paying') return this.settleCrashed(merchant, order);
    if (order.kind === 'sale' || order.state === 'unknown') return this.cancel(merchant, order);
    return this.pollC2b(merchant, order);
  }

  /**
   * A sale still `paying` after its deadline: its process died before the answer. Ask the wallet
   * first; a decline is final as it is, anything else (paid, paying, unknown, never booked) is
   * cancelled, which reverses money already taken.
   */
  private async settleCrashed(merchant: MerchantRecord, order: Order): Promise<string> {
    const route = orderRoute(this.deps, merchant, order);
    const q = await within(
      route.channel.query({ account: route.account, outTradeNo: order.outTradeNo }),
      this.deps.timing.cancelBudgetMs,
    );
    if (q?.outcome === 'failed' && q.reason !== undefined && DECLINES.has(q.reason)) {
      const done = { ...order, state: 'failed' as const };
      await this.deps.store.transition(order, {
        from: ['paying'],
        to: 'failed',
        note: q.walletCode,
        response: { request: requestOf(order), bytes: encodeResult(answerFor(done)) },
      });
      return 'failed';
    }
    return this.cancel(merchant, order, q?.outcome === 'success' ? 'reversed-after-crash' : 'recovered');
  }

  private async cancel(merchant: MerchantRecord, order: Order, note = 'recovered'): Promise<string> {
    const route = orderRoute(this.deps, merchant, order);
    const answer = await cancelWithin(route, order, this.deps.timing.cancelBudgetMs);
    if (!cancelled(answer)) {
      await this.deps.store.scheduleCheck(order, Date.now() + this.retryMs());
      return 'cancel-unconfirmed';
    }
    const done = { ...order, state: 'cancelled' as const };
    await this.deps.store.transition(order, {
      from: ['created', 'paying', 'unknown'],
      to: 'cancelled',
      note,
      response: { request: requestOf(order), bytes: encodeResult(answerFor(done)) },
    });
    if (order.kind === 'precreate') await this.deps.store.ackPush(order.mid, order.tid, order.rrn);
    return 'cancelled';
  }

  private async pollC2b(merchant: MerchantRecord, order: Order): Promise<string> {
    const route = orderRoute(this.deps, merchant, order);
    const q = await within(
      route.channel.query({ account: route.account, outTradeNo: order.outTradeNo }),
      this.deps.timing.cancelBudgetMs,
    );
    if (q?.outcome === 'success') {
      await applyC2bResult(this.deps, order, 'paid', 'poll', q.channelOrderId);
      return 'paid';
    }
    const after = await expireC2b(this.deps, route, order);
    if (after.state !== order.state) return after.state;
    const next = Math.min(Date.now() + this.deps.timing.c2bQueryIntervalMs, closeDueAt(this.deps, order));
    await this.deps.store.scheduleCheck(order, Math.max(next, Date.now() + 50));
    return 'pending';
  }

  private async retryRefund(merchant: MerchantRecord, order: Order): Promise<string> {
    const original = order.parentRrn ? await this.deps.store.getOrder(order.mid, order.parentRrn) : undefined;
    if (!original) return 'no-original';
    const call = walletRefund(this.deps, merchant, order, original);
    const r = typeof call === 'string' ? undefined : await within(call, this.deps.timing.cancelBudgetMs);
    if (r?.outcome !== 'success' && r?.outcome !== 'failed') {
      await this.deps.store.scheduleCheck(order, Date.now() + this.retryMs());
      return 'refund-unconfirmed';
    }
    const to = r.outcome === 'success' ? 'paid' : 'failed';
    await this.deps.store.transition(order, {
      from: ['paying', 'unknown'],
      to,
      note: 'recovered',
      response: { request: requestOf(order), bytes: encodeResult(answerFor({ ...order, state: to })) },
    });
    return to;
  }
}
