// C2B precreate (§4, 主扫): the box will show a QR code. Open the order (limits counted) in one store
// step, create it at the wallet, answer 09 with the code to display (59.A6). The result comes later
// as a 0620 push (see c2b.ts, push.ts); an order nobody pays is closed when it expires (expiry.ts).
import type { ChannelResult } from '../channels/channel.js';
import { limitRefusals } from '../metrics/flows.js';
import type { TransactionContext, TransactionResult } from '../server/dispatcher.js';
import type { Order, OrderState, RequestKey } from '../store/store.js';
import type { WalletCode } from '../terminals/types.js';
import { complete, finish, refused } from './answers.js';
import type { FlowDeps } from './context.js';
import { crashPoint } from './crash-points.js';
import { answerDuplicate, exclusive } from './duplicates.js';
import { codeForReason, LIMIT_CODES } from './outcome-codes.js';
import { cancelled, cancelWithin } from './pending.js';
import { refuse } from './refusals.js';
import { amountOf, fingerprint, requestKeyOf } from './request.js';
import { RC } from './response-codes.js';
import { type WalletRoute, walletRoute, walletTags } from './wallet.js';

const WALLETS: readonly string[] = ['WX', 'AL', 'UP'];
/** Every change a precreate makes starts from `created`: one frozen array, not one per change. */
const FROM_CREATED: readonly OrderState[] = Object.freeze(['created']);

/** The wallet for 59.A4: itself, or for `AG` the first aggregate wallet this merchant can use. */
function chooseRoute(deps: FlowDeps, ctx: TransactionContext, a4: string): WalletRoute | string {
  if (WALLETS.includes(a4)) return walletRoute(deps, ctx.terminal.merchant, a4 as WalletCode);
  if (a4 !== 'AG') return RC.INVALID_TRANSACTION;
  let first: string = RC.WALLET_UNAVAILABLE;
  for (const w of deps.aggregateWallets) {
    const r = walletRoute(deps, ctx.terminal.merchant, w);
    if (typeof r !== 'string') return r;
    if (first === RC.WALLET_UNAVAILABLE) first = r;
  }
  return first;
}

export async function precreate(deps: FlowDeps, ctx: TransactionContext, a4: string): Promise<TransactionResult> {
  const amountFen = amountOf(ctx.request);
  if (amountFen === undefined) return refuse(deps, ctx, 'precreate', RC.INVALID_AMOUNT);
  const route = chooseRoute(deps, ctx, a4);
  if (typeof route === 'string') return refuse(deps, ctx, 'precreate', route);
  const key = requestKeyOf(ctx);
  const fp = fingerprint(ctx.request);
  const begun = await deps.store.beginPayment({
    request: key,
    fingerprint: fp,
    kind: 'precreate',
    amountFen,
    wallet: route.wallet,
    limits: ctx.terminal.merchant.limits,
    initialState: 'created',
  });
  if (begun.status === 'limit') {
    limitRefusals.inc({ limit: begun.limit });
    return complete(deps, key, { rc: LIMIT_CODES[begun.limit] });
  }
  if (begun.status !== 'started') return answerDuplicate(deps, 'precreate', key, fp, begun);
  crashPoint('after-order-written');
  const result = await exclusive(deps, key, create(deps, route, begun.order, key));
  crashPoint('before-reply');
  return result;
}

async function create(deps: FlowDeps, route: WalletRoute, order: Order, key: RequestKey): Promise<TransactionResult> {
  const r: ChannelResult = await route.channel.precreate({
    account: route.account,
    outTradeNo: order.outTradeNo,
    amountFen: order.amountFen,
    subject: 'boxfep order',
    terminalId: order.tid,
  });
  const patch = r.channelOrderId ? { channelOrderId: r.channelOrderId } : undefined;
  if (r.outcome === 'success' && r.qrContent) {
    crashPoint('after-wallet-accepted');
    const fields: Record<number, string> = { 37: order.rrn };
    fields[59] = walletTags(route.wallet, r.channelOrderId, { qr: r.qrContent }) as string;
    const created: TransactionResult = { rc: RC.IN_PROGRESS, fields };
    const next = Date.now() + deps.timing.c2bQueryIntervalMs;
    // A notification may have beaten this answer: the box still needs its code, the push follows.
    return finish(
      deps,
      order,
      key,
      { from: FROM_CREATED, to: 'paying', patch, nextCheckAt: next },
      created,
      () => created,
    );
  }
  if (r.outcome === 'failed') {
    const rc = codeForReason(r.reason);
    return finish(
      deps,
      order,
      key,
      { from: FROM_CREATED, to: 'failed', patch, note: r.walletCode },
      refused(rc, order, r.walletCode),
    );
  }
  // No usable answer: make sure no code of ours can be paid, then refuse.
  const cancel = await cancelWithin(route, order, deps.timing.cancelBudgetMs);
  if (cancelled(cancel)) {
    const rc = codeForReason(r.reason ?? 'system-error');
    return finish(
      deps,
      order,
      key,
      { from: FROM_CREATED, to: 'cancelled', note: r.walletCode },
      refused(rc, order, r.walletCode),
    );
  }
  return finish(
    deps,
    order,
    key,
    {
      from: FROM_CREATED,
      to: 'unknown',
      note: 'cancel-pending',
      nextCheckAt: Date.now() + deps.timing.queryIntervalMs,
    },
    refused(RC.WALLET_TIMEOUT_UNKNOWN, order, r.walletCode),
  );
}
