// Reversal (§4): 0400, a copy of the original request with 39 = the reason, matched by TID + MID +
// 60.2 + 11. Idempotent (a repeat replays `00`). Original pending or paid → recorded as being
// reversed (so a crash leaves a known next step), cancelled at the wallet, then `00`; when the
// wallet does not confirm in time, recovery keeps cancelling and the box still gets `00` — the
// reversal is boxfep's to finish. No original → `00` and a tombstone refuses it later with `94`.
// Refunds and voids are final at the wallet and cannot be undone; their reversal is acknowledged.
import type { TransactionContext, TransactionResult } from '../server/dispatcher.js';
import type { Order, OrderState, RequestKey } from '../store/store.js';
import { complete } from './answers.js';
import type { FlowDeps } from './context.js';
import { answerDuplicate, exclusive } from './duplicates.js';
import { cancelled, cancelWithin } from './pending.js';
import { fingerprint, requestKeyOf } from './request.js';
import { RC } from './response-codes.js';
import { orderRoute } from './wallet.js';

/** Orders whose money may move or has moved at the wallet: these are cancelled there. */
export const REVERSIBLE: readonly OrderState[] = ['created', 'paying', 'paid', 'unknown'];
export const REVERSING = 'reversing';

const OK: TransactionResult = { rc: RC.APPROVED };

export async function reversal(deps: FlowDeps, ctx: TransactionContext): Promise<TransactionResult> {
  const key = requestKeyOf(ctx);
  const fp = fingerprint(ctx.request);
  const begun = await deps.store.beginReversal({ request: key, fingerprint: fp });
  if (begun.status !== 'started') return answerDuplicate(deps, 'reversal', key, fp, begun);
  const original = begun.original;
  if (!original) {
    deps.logger.info({ tid: key.tid, batch: key.batch, stan: key.stan }, 'reversal before its original: tombstone');
    return complete(deps, key, OK);
  }
  if (original.kind === 'refund' || original.kind === 'void' || !REVERSIBLE.includes(original.state)) {
    return complete(deps, key, OK);
  }
  return exclusive(deps, key, reverse(deps, ctx, original, key));
}

async function reverse(
  deps: FlowDeps,
  ctx: TransactionContext,
  original: Order,
  key: RequestKey,
): Promise<TransactionResult> {
  const marked = await deps.store.transition(original, {
    from: REVERSIBLE,
    to: 'unknown',
    note: REVERSING,
    nextCheckAt: Date.now() + deps.timing.queryIntervalMs,
  });
  if (marked.status !== 'ok') return complete(deps, key, OK);
  await cancelAndClose(deps, ctx.terminal.merchant, marked.order);
  return complete(deps, key, OK);
}

/** Cancels an order marked `reversing` at the wallet; true once it is cancelled for good. */
export async function cancelAndClose(
  deps: FlowDeps,
  merchant: Parameters<typeof orderRoute>[1],
  order: Order,
): Promise<boolean> {
  const route = orderRoute(deps, merchant, order);
  const answer = await cancelWithin(route, order, deps.timing.cancelBudgetMs);
  if (!cancelled(answer)) {
    deps.logger.warn(
      { rrn: order.rrn, wallet: order.wallet, cancel: answer?.walletCode },
      'reversal not confirmed yet',
    );
    return false;
  }
  const r = await deps.store.transition(order, { from: ['unknown'], to: 'cancelled', note: 'reversed' });
  // A C2B result push the box has not taken yet would now contradict its reversal.
  if (order.kind === 'precreate') await deps.store.ackPush(order.mid, order.tid, order.rrn);
  return r.status === 'ok';
}
