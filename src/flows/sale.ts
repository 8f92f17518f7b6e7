// B2C sale (§4, 被扫): the box scanned the customer's payment code (59.A3). Route by prefix (§7),
// open the order and count merchant limits in one store step, pay at the wallet, and while the
// customer is entering a password (or the wallet's answer is unknown) query until final or the pay
// deadline — then cancel and answer 05 with A9 USERPAYING_TIMEOUT, or 98 if even that stays unknown.
import type { ChannelResult } from '../channels/channel.js';
import { walletForPaymentCode } from '../channels/routing.js';
import { maskPaymentCode } from '../log/mask.js';
import { limitRefusals, settledByCells } from '../metrics/flows.js';
import type { TransactionContext, TransactionResult } from '../server/dispatcher.js';
import type { Order, OrderState, RequestKey } from '../store/store.js';
import { approved, complete, finish, refused } from './answers.js';
import type { FlowDeps } from './context.js';
import { crashPoint } from './crash-points.js';
import { answerDuplicate, exclusive } from './duplicates.js';
import { codeForReason, LIMIT_CODES } from './outcome-codes.js';
import { cancelled, cancelWithin, queryUntilFinal, within } from './pending.js';
import { receivedEpoch, refuse } from './refusals.js';
import { amountOf, fingerprint, requestKeyOf } from './request.js';
import { RC } from './response-codes.js';
import { type WalletRoute, walletRoute } from './wallet.js';

export const USERPAYING_TIMEOUT = 'USERPAYING_TIMEOUT';

const NO_ANSWER: ChannelResult = { outcome: 'unknown', reason: 'timeout', walletCode: 'TIMEOUT', walletMessage: '' };

export async function sale(
  deps: FlowDeps,
  ctx: TransactionContext,
  paymentCode: string,
  paymentCodeMasked = maskPaymentCode(paymentCode),
): Promise<TransactionResult> {
  const { request, terminal } = ctx;
  const amountFen = amountOf(request);
  if (amountFen === undefined) return refuse(deps, ctx, 'sale', RC.INVALID_AMOUNT);
  const wallet = walletForPaymentCode(paymentCode, deps.paymentCodeRules);
  if (!wallet) return refuse(deps, ctx, 'sale', RC.INVALID_PAYMENT_CODE);
  const route = walletRoute(deps, terminal.merchant, wallet);
  if (typeof route === 'string') return refuse(deps, ctx, 'sale', route);

  const key = requestKeyOf(ctx);
  const fp = fingerprint(request);
  const begun = await deps.store.beginPayment({
    request: key,
    fingerprint: fp,
    kind: 'sale',
    amountFen,
    wallet,
    paymentCodeMasked,
    limits: terminal.merchant.limits,
  });
  if (begun.status === 'limit') {
    limitRefusals.inc({ limit: begun.limit });
    return complete(deps, key, { rc: LIMIT_CODES[begun.limit] });
  }
  if (begun.status !== 'started') return answerDuplicate(deps, 'sale', key, fp, begun);
  crashPoint('after-order-written');
  const deadline = receivedEpoch(ctx) + deps.timing.payDeadlineMs;
  // Not awaited here: this frame's registers (the prologue's values, ~0.5 KB with what they still
  // point to) would otherwise live through every scavenge of the wallet's wait.
  return exclusive(deps, key, pay(deps, route, begun.order, key, paymentCode, deadline)).then(beforeReply);
}

function beforeReply(result: TransactionResult): TransactionResult {
  crashPoint('before-reply');
  return result;
}

/** The sale's child logger, made only when a line is written: a quiet sale (info level) writes none. */
function saleLog(deps: FlowDeps, route: WalletRoute, order: Order) {
  return deps.logger.child({ rrn: order.rrn, tid: order.tid, wallet: route.wallet });
}

/** The state a sale's order leaves (read-only for the store): one array, not one per sale. */
const FROM_PAYING: readonly OrderState[] = Object.freeze(['paying']);

/**
 * Calls the wallet; what follows its first answer is `afterPay`. Not an async function awaiting the
 * call: a suspended frame and its await (~0.5 KB) lived through every scavenge of the wallet's wait,
 * a closure over five values is what waits now.
 */
function pay(
  deps: FlowDeps,
  route: WalletRoute,
  order: Order,
  key: RequestKey,
  authCode: string,
  deadline: number,
): Promise<TransactionResult> {
  let call: Promise<ChannelResult>;
  try {
    call = route.channel.pay({
      account: route.account,
      outTradeNo: order.outTradeNo,
      amountFen: order.amountFen,
      authCode,
      subject: 'boxfep sale',
      terminalId: order.tid,
    });
  } catch (err) {
    // As the async function did: a throw is the returned promise's rejection.
    return Promise.reject(err);
  }
  return within(call, deadline - Date.now()).then((answer) => afterPay(deps, route, order, key, deadline, answer));
}

async function afterPay(
  deps: FlowDeps,
  route: WalletRoute,
  order: Order,
  key: RequestKey,
  deadline: number,
  answer: ChannelResult | undefined,
): Promise<TransactionResult> {
  const first = answer ?? NO_ANSWER;
  if (deps.logger.isLevelEnabled('debug')) {
    saleLog(deps, route, order).debug(
      { code: order.paymentCodeMasked, outcome: first.outcome, walletCode: first.walletCode },
      'pay',
    );
  }
  if (first.outcome === 'success' || first.outcome === 'failed') return settle(deps, route, order, key, first);

  const resolution = await queryUntilFinal(deps, route, order, first, deadline);
  if (resolution.final) return settle(deps, route, order, key, resolution.result);

  // Unresolved at the deadline: reverse at the wallet with the same order number (§7).
  const cancel = await cancelWithin(route, order, deps.timing.cancelBudgetMs);
  const screen = resolution.sawUserPaying ? USERPAYING_TIMEOUT : resolution.last.walletCode;
  if (cancelled(cancel)) {
    settledByCells.of2(route.wallet, resolution.sawUserPaying ? 'paying-timeout' : 'cancelled').inc();
    saleLog(deps, route, order).info({ code: order.paymentCodeMasked, a9: screen }, 'sale cancelled at the deadline');
    return finish(
      deps,
      order,
      key,
      { from: FROM_PAYING, to: 'cancelled', note: screen },
      refused(RC.DECLINED, order, screen),
    );
  }
  settledByCells.of2(route.wallet, 'unknown').inc();
  saleLog(deps, route, order).warn(
    { code: order.paymentCodeMasked, cancel: cancel?.walletCode ?? 'no answer' },
    'sale outcome unknown',
  );
  return finish(
    deps,
    order,
    key,
    { from: FROM_PAYING, to: 'unknown', note: 'cancel-pending', nextCheckAt: Date.now() + deps.timing.queryIntervalMs },
    refused(RC.WALLET_TIMEOUT_UNKNOWN, order, cancel?.walletCode ?? resolution.last.walletCode),
  );
}

function settle(
  deps: FlowDeps,
  route: WalletRoute,
  order: Order,
  key: RequestKey,
  result: ChannelResult,
): Promise<TransactionResult> {
  const patch = result.channelOrderId ? { channelOrderId: result.channelOrderId } : undefined;
  if (result.outcome === 'success') {
    crashPoint('after-wallet-accepted');
    settledByCells.of2(route.wallet, 'approved').inc();
    return finish(deps, order, key, { from: FROM_PAYING, to: 'paid', patch }, approved(order, result));
  }
  settledByCells.of2(route.wallet, 'declined').inc();
  const rc = codeForReason(result.reason);
  return finish(
    deps,
    order,
    key,
    { from: FROM_PAYING, to: 'failed', patch, note: result.walletCode },
    refused(rc, order, result.walletCode, result),
  );
}
