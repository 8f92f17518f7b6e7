// Void and refund share one path: the original sale is named by 37 (its RRN; else 61.1 + 61.2),
// the store checks state, batch and remainder and reserves the amount in one step, then the wallet
// refunds with the new order's number as the refund number — the same number on every retry.
import type { ChannelResult } from '../channels/channel.js';
import { CodecError, parseField61 } from '../iso8583/index.js';
import type { TransactionContext, TransactionResult } from '../server/dispatcher.js';
import type { BeginRefundResult, Order, RequestKey } from '../store/store.js';
import type { MerchantRecord } from '../terminals/types.js';
import { approved, complete, finish, refused } from './answers.js';
import type { FlowDeps } from './context.js';
import { crashPoint } from './crash-points.js';
import { answerDuplicate, exclusive } from './duplicates.js';
import { codeForReason } from './outcome-codes.js';
import { refuse } from './refusals.js';
import { amountOf, fingerprint, requestKeyOf } from './request.js';
import { RC } from './response-codes.js';
import { walletRoute } from './wallet.js';

export type MoneyBackKind = 'void' | 'refund';

/** Field 37 as sent (an12, trimmed), else the order the box's 61.1 + 61.2 name. */
async function originalRrn(deps: FlowDeps, ctx: TransactionContext): Promise<string | undefined> {
  const f37 = ctx.request.fields[37]?.trim();
  if (f37) return f37;
  const f61 = ctx.request.fields[61];
  if (f61 === undefined) return undefined;
  try {
    const ref = parseField61(f61);
    return (await deps.store.getOrderByRequest(ctx.terminal.tid, ctx.terminal.mid, ref.batch, ref.stan))?.rrn;
  } catch (err) {
    if (err instanceof CodecError) return undefined;
    throw err;
  }
}

/** Store refusals → field 39 (§4: void of a non-approved sale or across batches `12`, over the remainder `64`). */
function refusalCode(
  kind: MoneyBackKind,
  begun: Exclude<BeginRefundResult, { status: 'started' }>,
): string | undefined {
  switch (begun.status) {
    case 'original-not-found':
      return RC.ORIGINAL_NOT_FOUND;
    case 'not-allowed':
      // Nothing left to refund is "over the remainder" too.
      return kind === 'refund' && begun.original.state === 'refunded'
        ? RC.REFUND_EXCEEDS_ORIGINAL
        : RC.INVALID_TRANSACTION;
    case 'exceeds':
      return RC.REFUND_EXCEEDS_ORIGINAL;
    default:
      return undefined;
  }
}

export async function moneyBack(
  deps: FlowDeps,
  ctx: TransactionContext,
  kind: MoneyBackKind,
): Promise<TransactionResult> {
  const amountFen = amountOf(ctx.request);
  if (amountFen === undefined) return refuse(deps, ctx, kind, RC.INVALID_AMOUNT);
  const rrn = await originalRrn(deps, ctx);
  if (rrn === undefined || rrn.length !== 12) return refuse(deps, ctx, kind, RC.ORIGINAL_NOT_FOUND);
  const key = requestKeyOf(ctx);
  const fp = fingerprint(ctx.request);
  const begun = await deps.store.beginRefund({ request: key, fingerprint: fp, kind, amountFen, originalRrn: rrn });
  if (begun.status === 'started') {
    const { order, original } = begun;
    crashPoint('after-order-written');
    const result = await exclusive(deps, key, refundAtWallet(deps, ctx.terminal.merchant, order, original, key));
    crashPoint('before-reply');
    return result;
  }
  const rc = refusalCode(kind, begun);
  if (rc) return complete(deps, key, { rc });
  return answerDuplicate(deps, kind, key, fp, begun as Parameters<typeof answerDuplicate>[4]);
}

/** One refund call; also what recovery repeats for a refund left unknown. */
export function walletRefund(
  deps: FlowDeps,
  merchant: MerchantRecord,
  order: Order,
  original: Order,
): Promise<ChannelResult> | string {
  const route = original.wallet ? walletRoute(deps, merchant, original.wallet) : RC.WALLET_UNAVAILABLE;
  if (typeof route === 'string') return route;
  return route.channel.refund({
    account: route.account,
    outTradeNo: original.outTradeNo,
    outRefundNo: order.outTradeNo,
    refundFen: order.amountFen,
    totalFen: original.amountFen,
  });
}

async function refundAtWallet(
  deps: FlowDeps,
  merchant: MerchantRecord,
  order: Order,
  original: Order,
  key: RequestKey,
): Promise<TransactionResult> {
  const call = walletRefund(deps, merchant, order, original);
  if (typeof call === 'string') {
    return finish(deps, order, key, { from: ['paying'], to: 'failed', note: 'no-channel' }, refused(call, order));
  }
  const r = await call;
  const patch = r.channelOrderId ? { channelOrderId: r.channelOrderId } : undefined;
  if (r.outcome === 'success') {
    crashPoint('after-wallet-accepted');
    return finish(deps, order, key, { from: ['paying'], to: 'paid', patch }, approved(order, r));
  }
  if (r.outcome === 'failed') {
    const rc = codeForReason(r.reason);
    return finish(
      deps,
      order,
      key,
      { from: ['paying'], to: 'failed', note: r.walletCode },
      refused(rc, order, r.walletCode),
    );
  }
  // Refunds are idempotent by refund number: recovery repeats this one until the wallet answers.
  return finish(
    deps,
    order,
    key,
    { from: ['paying'], to: 'unknown', note: 'refund-pending', nextCheckAt: Date.now() + deps.timing.queryIntervalMs },
    refused(RC.WALLET_TIMEOUT_UNKNOWN, order, r.walletCode),
  );
}
