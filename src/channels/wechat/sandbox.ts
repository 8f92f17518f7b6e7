// A WeChat-Pay-style wallet on loopback: the same XML, paths and HMAC-SHA256 signatures as the
// connector speaks, the order state machine of src/channels/sandbox/ledger.ts, test payment codes,
// C2B customers who pay and notify, latency and fault injection.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { randomHex } from '../nonce.js';
import { walletForPaymentCode } from '../routing.js';
import { SimulatedCustomer } from '../sandbox/customer.js';
import type { RequestFault } from '../sandbox/faults.js';
import { type HttpSandboxOptions, HttpSandboxServer, type Reply } from '../sandbox/http-sandbox.js';
import { Ledger, type LedgerOrder } from '../sandbox/ledger.js';
import { Notifier } from '../sandbox/notifier.js';
import { chinaTime } from '../time.js';
import { WECHAT_PATHS } from './connector.js';
import { signed, verify } from './sign.js';
import { buildXml, type Fields, parseXml } from './xml.js';

export interface WechatSandboxOptions extends HttpSandboxOptions {
  /** API key of every merchant not listed in `apiKeys`; generated when absent. */
  apiKey?: string;
  apiKeys?: Record<string, string>;
  /** C2B: time until the simulated customer pays, ms (default 1000). */
  payDelayMs?: number;
  /** Notification retry delays, ms. */
  notifyRetryDelaysMs?: number[];
  reorderWindowMs?: number;
  /** Where to notify when an order names no notify_url. */
  notifyUrl?: string;
}

const TRADE_STATE: Record<LedgerOrder['state'], string> = {
  created: 'NOTPAY',
  paying: 'USERPAYING',
  paid: 'SUCCESS',
  failed: 'PAYERROR',
  closed: 'CLOSED',
  reversed: 'REVOKED',
};

type Handler = (req: Fields, key: string) => Fields | null;

export class WechatSandbox {
  readonly apiKey: string;
  readonly ledger = new Ledger('4200');
  readonly notifier: Notifier;
  private readonly server: HttpSandboxServer;
  private readonly customer: SimulatedCustomer;
  private readonly routes: Record<string, Handler>;

  constructor(private readonly options: WechatSandboxOptions = {}) {
    this.apiKey = options.apiKey ?? randomBytes(16).toString('hex');
    this.server = new HttpSandboxServer({ handle: (p, b, f) => this.handle(p, b, f) }, this.ledger, options);
    this.notifier = new Notifier(
      {
        contentType: 'text/xml',
        isAck: (body) => parseSafe(body)?.return_code === 'SUCCESS',
        retryDelaysMs: options.notifyRetryDelaysMs ?? [200, 1_000, 5_000],
        reorderWindowMs: options.reorderWindowMs ?? 200,
      },
      this.server.faults,
      this.server.random,
    );
    this.customer = new SimulatedCustomer(this.ledger, options.payDelayMs ?? 1_000);
    this.routes = {
      [WECHAT_PATHS.pay]: (r) => this.micropay(r),
      [WECHAT_PATHS.precreate]: (r, key) => this.unifiedorder(r, key),
      [WECHAT_PATHS.query]: (r) => this.orderquery(r),
      [WECHAT_PATHS.cancel]: (r) => this.reverse(r),
      [WECHAT_PATHS.close]: (r) => this.closeorder(r),
      [WECHAT_PATHS.refund]: (r) => this.refund(r),
    };
  }

  start(): Promise<AddressInfo> {
    return this.server.start();
  }

  get url(): string {
    return this.server.url;
  }

  /** TCP connections accepted since start (keep-alive tests count these). */
  get connectionsAccepted(): number {
    return this.server.connectionsAccepted;
  }

  get faults() {
    return this.server.faults;
  }

  keyFor(merchantId: string): string {
    return this.options.apiKeys?.[merchantId] ?? this.apiKey;
  }

  async stop(): Promise<void> {
    this.customer.stop();
    this.notifier.stop();
    await this.server.stop();
  }

  private handle(path: string, body: string, fault: RequestFault): Reply {
    const route = this.routes[path];
    if (!route) return { status: 404, contentType: 'text/plain', body: 'not found' };
    const req = parseSafe(body);
    if (!req) return xml({ return_code: 'FAIL', return_msg: 'XML_FORMAT_ERROR' });
    const key = this.keyFor(req.mch_id ?? '');
    if (!verify(req, key)) return xml({ return_code: 'FAIL', return_msg: 'SIGNERROR' });
    if (fault === 'error') return this.reply(req, key, fail('SYSTEMERROR', 'system busy, try again'));
    const out = route(req, key);
    return out === null ? null : this.reply(req, key, out);
  }

  private reply(req: Fields, key: string, out: Fields): Reply {
    const fields: Fields = {
      return_code: 'SUCCESS',
      return_msg: 'OK',
      appid: req.appid ?? '',
      mch_id: req.mch_id ?? '',
      nonce_str: randomHex(8),
    };
    // Assigned in place rather than spread into a second object: same names, same order.
    for (const k in out) fields[k] = out[k]!;
    return xml(signed(fields, key));
  }

  private micropay(r: Fields): Fields | null {
    const amount = Number(r.total_fee);
    if (!Number.isInteger(amount) || amount <= 0) return fail('PARAM_ERROR', 'total_fee invalid');
    if (walletForPaymentCode(r.auth_code ?? '') !== 'WX') return fail('AUTH_CODE_INVALID', 'invalid payment code');
    const v = this.ledger.pay(acct(r), r.out_trade_no ?? '', amount, r.auth_code ?? '');
    switch (v.kind) {
      case 'no-answer':
        return null;
      case 'paid':
        return paidFields(v.order);
      case 'paying':
        return fail('USERPAYING', 'waiting for the user to enter the password');
      case 'insufficient-funds':
        return fail('NOTENOUGH', 'insufficient balance');
      case 'system-error':
        return fail('SYSTEMERROR', 'system error');
      case 'order-exists':
        return existingOrderError(v.order);
    }
  }

  private unifiedorder(r: Fields, key: string): Fields {
    const amount = Number(r.total_fee);
    if (r.trade_type !== 'NATIVE') return fail('PARAM_ERROR', 'only NATIVE is simulated');
    if (!Number.isInteger(amount) || amount <= 0) return fail('PARAM_ERROR', 'total_fee invalid');
    const { order, created } = this.ledger.precreate(acct(r), r.out_trade_no ?? '', amount);
    if (!created && order.state !== 'created') return existingOrderError(order);
    if (!created && order.amountFen !== amount) return fail('OUT_TRADE_NO_USED', 'order number reused');
    if (created) this.customer.schedule(order, (o) => this.notify(o, r.notify_url || this.options.notifyUrl, key));
    return {
      result_code: 'SUCCESS',
      trade_type: 'NATIVE',
      prepay_id: `wx${order.channelOrderId}`,
      code_url: `weixin://wxpay/bizpayurl?pr=${order.channelOrderId}`,
    };
  }

  private orderquery(r: Fields): Fields {
    const order = this.ledger.query(r.mch_id ?? '', r.out_trade_no ?? '');
    if (!order) return fail('ORDERNOTEXIST', 'order does not exist');
    const state = order.state === 'paid' && order.refundedFen > 0 ? 'REFUND' : TRADE_STATE[order.state];
    return { ...paidFields(order), trade_state: state, trade_state_desc: state };
  }

  private reverse(r: Fields): Fields {
    this.ledger.cancel(acct(r), r.out_trade_no ?? '');
    return { result_code: 'SUCCESS', recall: 'N' };
  }

  private closeorder(r: Fields): Fields {
    const v = this.ledger.close(r.mch_id ?? '', r.out_trade_no ?? '');
    if (v.kind === 'not-found') return fail('ORDERNOTEXIST', 'order does not exist');
    if (v.kind === 'order-paid') return fail('ORDERPAID', 'order already paid');
    if (v.kind === 'already-closed') return fail('ORDERCLOSED', 'order already closed');
    return { result_code: 'SUCCESS' };
  }

  private refund(r: Fields): Fields {
    const fee = Number(r.refund_fee);
    const v = this.ledger.refund(r.mch_id ?? '', r.out_trade_no ?? '', r.out_refund_no ?? '', fee);
    switch (v.kind) {
      case 'not-found':
        return fail('ORDERNOTEXIST', 'order does not exist');
      case 'not-paid':
        return fail('TRADE_STATE_ERROR', 'order is not paid');
      case 'exceeds':
        return fail('ERROR', 'refund exceeds the refundable amount');
      case 'mismatch':
        return fail('INVALID_REQUEST', 'refund number reused with another amount');
      default:
        return {
          result_code: 'SUCCESS',
          transaction_id: v.order.channelOrderId,
          out_trade_no: v.order.outTradeNo,
          out_refund_no: v.refund.outRefundNo,
          refund_id: v.refund.refundId,
          refund_fee: String(v.refund.fen),
          total_fee: String(v.order.amountFen),
        };
    }
  }

  private notify(order: LedgerOrder, url: string | undefined, key: string): void {
    const fields = signed(
      {
        return_code: 'SUCCESS',
        appid: order.appId,
        mch_id: order.merchantId,
        nonce_str: randomHex(8),
        result_code: 'SUCCESS',
        openid: 'oSandboxCustomer',
        trade_type: 'NATIVE',
        bank_type: 'OTHERS',
        fee_type: 'CNY',
        ...paidFields(order),
      },
      key,
    );
    this.notifier.send(url, order.outTradeNo, 'SUCCESS', buildXml(fields));
  }
}

function acct(r: Fields) {
  return { appId: r.appid ?? '', merchantId: r.mch_id ?? '' };
}

function fail(err_code: string, err_code_des: string): Fields {
  return { result_code: 'FAIL', err_code, err_code_des };
}

function paidFields(order: LedgerOrder): Fields {
  const f: Fields = {
    result_code: 'SUCCESS',
    out_trade_no: order.outTradeNo,
    transaction_id: order.channelOrderId,
    total_fee: String(order.amountFen),
  };
  if (order.paidAt) f.time_end = timeEnd(order.paidAt);
  return f;
}

// time_end has whole seconds: the orders paid within one second share its text (formatting a
// Date per reply was ~2 % of the sandbox's CPU at 2,000 sales/s).
let timeEndSecond = Number.NaN;
let timeEndText = '';

function timeEnd(paidAt: number): string {
  const second = Math.floor(paidAt / 1000);
  if (second !== timeEndSecond) {
    timeEndSecond = second;
    timeEndText = chinaTime(paidAt, 'compact');
  }
  return timeEndText;
}

function existingOrderError(order: LedgerOrder): Fields {
  if (order.state === 'paid') return fail('ORDERPAID', 'order already paid');
  if (order.state === 'reversed') return fail('ORDERREVERSED', 'order reversed');
  return fail('ORDERCLOSED', 'order closed');
}

function parseSafe(body: string): Fields | undefined {
  try {
    return parseXml(body);
  } catch {
    return undefined;
  }
}

function xml(fields: Fields): Reply {
  return { status: 200, contentType: 'text/xml', body: buildXml(fields) };
}
