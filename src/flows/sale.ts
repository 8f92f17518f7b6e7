// B2C sale (§4, 被扫): the box scanned the customer's payment code (59.A3). Route by prefix (§7),
// open the order and count merchant limits in one store step, pay at the wallet, and while the
// customer is entering a password (or the wallet's answer is unknown) query until final or the pay
// deadline — then cancel and answer 05 with A9 USERPAYING_TIMEOUT, or 98 if even that stays unknown.
import type { ChannelResult } from '../channels/channel.js';
import { walletForPaymentCode } from '../channels/routing.js';
import { maskPaymentCode } from '../log/mask.js';
import { limitRefusals, settledByCells } from '../metrics/flows.js';
import type { TransactionContext, TransactionResult } from '../server/dispatcher.js';
import type { BeginPaymentResult, Order, OrderState, RequestKey } from '../store/store.js';
import { approved, complete, finish, refused } from './answers.js';
import type { FlowDeps } from './context.js';
import { crashPoint } from './crash-points.js';
import { Deadline, walletDeadlines } from './deadlines.js';
import { answerDuplicate } from './duplicates.js';
import type { Running } from './inflight.js';
import { codeForReason, LIMIT_CODES } from './outcome-codes.js';
import { cancelled, cancelWithin, queryUntilFinal } from './pending.js';
import { receivedEpoch, refuse } from './refusals.js';
import { amountOf, fingerprint, keyString, requestKeyOf } from './request.js';
import { RC } from './response-codes.js';
import { typed } from './typed.js';
import { type WalletRoute, walletRoute } from './wallet.js';

export const USERPAYING_TIMEOUT = 'USERPAYING_TIMEOUT';

const NO_ANSWER: ChannelResult = { outcome: 'unknown', reason: 'timeout', walletCode: 'TIMEOUT', walletMessage: '' };

export function sale(
  deps: FlowDeps,
  ctx: TransactionContext,
  paymentCode: string,
  paymentCodeMasked = maskPaymentCode(paymentCode),
): Promise<TransactionResult> {
  try {
    const { request, terminal } = ctx;
    const amountFen = amountOf(request);
    if (amountFen === undefined) return refusedSale(deps, ctx, RC.INVALID_AMOUNT, paymentCodeMasked);
    const wallet = walletForPaymentCode(paymentCode, deps.paymentCodeRules);
    if (!wallet) return refusedSale(deps, ctx, RC.INVALID_PAYMENT_CODE, paymentCodeMasked);
    const route = walletRoute(deps, terminal.merchant, wallet);
    if (typeof route === 'string') return refusedSale(deps, ctx, route, paymentCodeMasked);

    const key = requestKeyOf(ctx);
    const fp = fingerprint(request);
    const run = new SaleRun(deps, ctx, route, key, fp, paymentCode, paymentCodeMasked);
    deps.store
      .beginPayment({
        request: key,
        fingerprint: fp,
        kind: 'sale',
        amountFen,
        wallet,
        paymentCodeMasked,
        limits: terminal.merchant.limits,
      })
      .then(
        (begun) => run.begun(begun),
        (err: unknown) => run.fail(err),
      );
    return run.promise;
  } catch (err) {
    // As the async function did: a throw is the returned promise's rejection.
    return Promise.reject(err);
  }
}

/** A refusal before any order, typed as the payment route types a sale's answer. */
function refusedSale(deps: FlowDeps, ctx: TransactionContext, rc: string, masked: string): Promise<TransactionResult> {
  return refuse(deps, ctx, 'sale', rc).then((r) => typed(r, 'sale', 'code', masked));
}

/**
 * One sale from its store step to its answer, as one object: its promise (the payment route's
 * answer, typed), its place among the duplicates' in-flight requests, and — while the wallet's first
 * answer is awaited — its pay deadline in the shared heap. What waits on the wallet is this object,
 * the call's two then-closures and the promise: the sale's frame, the payment route's closure, the
 * in-flight cleanup closure, `within`'s promise and closures and the then-steps between them were
 * each held through every scavenge of the wait.
 */
class SaleRun extends Deadline {
  readonly promise: Promise<TransactionResult>;
  private resolve!: (result: TransactionResult) => void;
  private reject!: (err: unknown) => void;
  /** The sale's place among the in-flight requests, once the store step started it. */
  private inflight: Running | undefined;
  private order: Order | undefined;
  private deadline = 0;
  /** The wallet's first answer is awaited (the deadline is in the heap). */
  private waiting = false;

  constructor(
    private readonly deps: FlowDeps,
    private readonly ctx: TransactionContext,
    private readonly route: WalletRoute,
    private readonly key: RequestKey,
    private readonly fp: string,
    private readonly paymentCode: string,
    private readonly masked: string,
  ) {
    super();
    this.promise = new Promise<TransactionResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** The store step's outcome: a refusal or a duplicate is answered, a started sale calls the wallet. */
  begun(begun: BeginPaymentResult): void {
    try {
      this.start(begun);
    } catch (err) {
      // As the async function did: a throw is the sale's rejection (never an unhandled one).
      this.fail(err);
    }
  }

  private start(begun: BeginPaymentResult): void {
    const { deps, key } = this;
    if (begun.status === 'limit') {
      limitRefusals.inc({ limit: begun.limit });
      this.answerWith(complete(deps, key, { rc: LIMIT_CODES[begun.limit] }));
      return;
    }
    if (begun.status !== 'started') {
      this.answerWith(answerDuplicate(deps, 'sale', key, this.fp, begun));
      return;
    }
    crashPoint('after-order-written');
    this.order = begun.order;
    this.deadline = receivedEpoch(this.ctx) + deps.timing.payDeadlineMs;
    // Visible to duplicates arriving meanwhile on this node; gone before the answer leaves.
    this.inflight = deps.inflight.enter(keyString(key), this.promise);
    this.pay(begun.order);
  }

  /** Calls the wallet; its first answer (or the deadline, whichever comes first) goes to `afterPay`. */
  private pay(order: Order): void {
    const { route } = this;
    let call: Promise<ChannelResult>;
    try {
      call = route.channel.pay({
        account: route.account,
        outTradeNo: order.outTradeNo,
        amountFen: order.amountFen,
        authCode: this.paymentCode,
        subject: 'boxfep sale',
        terminalId: order.tid,
      });
    } catch (err) {
      this.fail(err);
      return;
    }
    const ms = this.deadline - Date.now();
    // Both outcomes handled: an answer or a rejection after the deadline is dropped, never unhandled.
    call.then(
      (answer) => this.answered(answer),
      (err: unknown) => this.callFailed(err),
    );
    if (ms <= 0) {
      // No time left at all: as `within` did, no answer (on the next microtask, not now).
      queueMicrotask(() => this.next(undefined));
      return;
    }
    this.waiting = true;
    walletDeadlines.add(this, ms);
  }

  private answered(answer: ChannelResult): void {
    if (!this.waiting) return;
    this.waiting = false;
    walletDeadlines.remove(this);
    this.next(answer);
  }

  private callFailed(err: unknown): void {
    if (!this.waiting) return;
    this.waiting = false;
    walletDeadlines.remove(this);
    this.fail(err);
  }

  /** The pay deadline passed before the wallet's first answer. */
  expire(): void {
    if (!this.waiting) return;
    this.waiting = false;
    this.next(undefined);
  }

  private next(answer: ChannelResult | undefined): void {
    const { deps, route, order, key, deadline } = this;
    this.answerWith(afterPay(deps, route, order as Order, key, deadline, answer));
  }

  private answerWith(result: Promise<TransactionResult>): void {
    result.then(
      (r) => this.done(r),
      (err: unknown) => this.fail(err),
    );
  }

  private done(result: TransactionResult): void {
    // A started sale only: a limit refusal or a duplicate's answer never reached this point before.
    if (this.inflight !== undefined) {
      this.leaveInflight();
      crashPoint('before-reply');
    }
    this.resolve(typed(result, 'sale', 'code', this.masked));
  }

  fail(err: unknown): void {
    this.leaveInflight();
    this.reject(err);
  }

  private leaveInflight(): void {
    if (this.inflight !== undefined) this.deps.inflight.leave(this.inflight);
  }
}

/** The sale's child logger, made only when a line is written: a quiet sale (info level) writes none. */
function saleLog(deps: FlowDeps, route: WalletRoute, order: Order) {
  return deps.logger.child({ rrn: order.rrn, tid: order.tid, wallet: route.wallet });
}

/** The state a sale's order leaves (read-only for the store): one array, not one per sale. */
const FROM_PAYING: readonly OrderState[] = Object.freeze(['paying']);

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
