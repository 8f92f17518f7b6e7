// Order query (§4): 0200/300000/01 names the original by 61.1 batch + 61.2 trace; 39 is the
// original's state (00 paid, 09 pending, 05 failed/closed, 25 not found) with 4, 37 and 59.A7/A8 of
// the original. A pending C2B order is first asked about at the wallet, so polling boxes see a
// payment even when the wallet's notification is late.
import { CodecError, parseField61 } from '../iso8583/index.js';
import type { TransactionContext, TransactionResult } from '../server/dispatcher.js';
import type { Order } from '../store/store.js';
import { complete } from './answers.js';
import { applyC2bResult } from './c2b.js';
import type { FlowDeps } from './context.js';
import { answerDuplicate } from './duplicates.js';
import { QUERY_STATE_CODES } from './outcome-codes.js';
import { within } from './pending.js';
import { amount12, fingerprint, requestKeyOf } from './request.js';
import { RC } from './response-codes.js';
import { walletRoute, walletTags } from './wallet.js';

export async function query(deps: FlowDeps, ctx: TransactionContext): Promise<TransactionResult> {
  const f61 = ctx.request.fields[61];
  let ref: { batch: string; stan: string };
  try {
    if (f61 === undefined) return { rc: RC.FORMAT_ERROR };
    ref = parseField61(f61);
  } catch (err) {
    if (err instanceof CodecError) return { rc: RC.FORMAT_ERROR };
    throw err;
  }
  const { tid, mid } = ctx.terminal;
  const key = requestKeyOf(ctx);
  const fp = fingerprint(ctx.request);
  // The claim and the lookup are independent: one round trip of latency.
  const [claim, found] = await Promise.all([
    deps.store.claimRequest(key, fp),
    deps.store.getOrderByRequest(tid, mid, ref.batch, ref.stan),
  ]);
  if (claim.status !== 'claimed') return answerDuplicate(deps, 'query', key, fp, claim);
  if (!found || found.kind === 'refund' || found.kind === 'void')
    return complete(deps, key, { rc: RC.ORIGINAL_NOT_FOUND });
  const order = await refreshC2b(deps, ctx, found);
  const fields: Record<number, string> = { 4: amount12(order.amountFen), 37: order.rrn };
  const tags = walletTags(order.wallet, order.channelOrderId);
  if (tags) fields[59] = tags;
  return complete(deps, key, { rc: QUERY_STATE_CODES[order.state], fields });
}

/** A C2B order still waiting: one wallet query, bounded by the query interval. */
async function refreshC2b(deps: FlowDeps, ctx: TransactionContext, order: Order): Promise<Order> {
  if (order.kind !== 'precreate' || order.state !== 'paying' || !order.wallet) return order;
  const route = walletRoute(deps, ctx.terminal.merchant, order.wallet);
  if (typeof route === 'string') return order;
  const r = await within(
    route.channel.query({ account: route.account, outTradeNo: order.outTradeNo }),
    deps.timing.queryIntervalMs,
  );
  if (r?.outcome !== 'success') return order;
  return applyC2bResult(deps, order, 'paid', 'query', r.channelOrderId);
}
