// An Alipay-style gateway on loopback: form-encoded RSA2-signed requests in, JSON responses signed
// over the `<method>_response` bytes out, the order state machine of src/channels/sandbox/ledger.ts,
// test payment codes, C2B customers who pay and notify, latency and fault injection.
import type { AddressInfo } from 'node:net';
import { randomHex } from '../nonce.js';
import { walletForPaymentCode } from '../routing.js';
import { SimulatedCustomer } from '../sandbox/customer.js';
import type { RequestFault } from '../sandbox/faults.js';
import { type HttpSandboxOptions, HttpSandboxServer, type Reply } from '../sandbox/http-sandbox.js';
import { type Account, Ledger, type LedgerOrder } from '../sandbox/ledger.js';
import { Notifier } from '../sandbox/notifier.js';
import { chinaTime } from '../time.js';
import { ALIPAY_METHODS, responseMember } from './connector.js';
import { generateRsa2KeyPair, type RsaKeyPair } from './keys.js';
import { ALIPAY_ACK, NOTIFY_UNSIGNED } from './notify.js';
import { fenToYuan, inlineRsaSigner, rsa2Verify, signContent, yuanToFen } from './sign.js';

export interface AlipaySandboxOptions extends HttpSandboxOptions {
  /** Alipay's own key pair (signs responses and notifications); generated when absent. */
  alipayKeys?: RsaKeyPair;
  /** The app key pair every app not in `appPublicKeys` uses; generated when absent. */
  appKeys?: RsaKeyPair;
  appPublicKeys?: Record<string, string>;
  payDelayMs?: number;
  notifyRetryDelaysMs?: number[];
  reorderWindowMs?: number;
  /** Also notify WAIT_BUYER_PAY when the customer scans (before TRADE_SUCCESS). */
  notifyPending?: boolean;
  /** Where to notify when an order names no notify_url. */
  notifyUrl?: string;
}

type Node = Record<string, string>;
type Biz = Record<string, string | undefined>;

const TRADE_STATUS: Record<LedgerOrder['state'], string> = {
  created: 'WAIT_BUYER_PAY',
  paying: 'WAIT_BUYER_PAY',
  paid: 'TRADE_SUCCESS',
  failed: 'TRADE_CLOSED',
  closed: 'TRADE_CLOSED',
  reversed: 'TRADE_CLOSED',
};

const OK: Node = { code: '10000', msg: 'Success' };
const fail = (sub_code: string, sub_msg: string, code = '40004'): Node => ({
  code,
  msg: code === '40004' ? 'Business Failed' : 'Service Currently Unavailable',
  sub_code,
  sub_msg,
});
const SYSTEM_ERROR = fail('ACQ.SYSTEM_ERROR', 'system error', '20000');

export class AlipaySandbox {
  readonly alipayKeys: RsaKeyPair;
  readonly appKeys: RsaKeyPair;
  readonly ledger = new Ledger('2026');
  readonly notifier: Notifier;
  private readonly server: HttpSandboxServer;
  private readonly customer: SimulatedCustomer;

  constructor(private readonly options: AlipaySandboxOptions = {}) {
    this.alipayKeys = options.alipayKeys ?? generateRsa2KeyPair();
    this.appKeys = options.appKeys ?? generateRsa2KeyPair();
    this.server = new HttpSandboxServer({ handle: (p, b, f) => this.handle(p, b, f) }, this.ledger, options);
    this.notifier = new Notifier(
      {
        contentType: 'application/x-www-form-urlencoded;charset=utf-8',
        isAck: (body) => body === ALIPAY_ACK,
        retryDelaysMs: options.notifyRetryDelaysMs ?? [200, 1_000, 5_000],
        reorderWindowMs: options.reorderWindowMs ?? 200,
      },
      this.server.faults,
      this.server.random,
    );
    this.customer = new SimulatedCustomer(this.ledger, options.payDelayMs ?? 1_000);
  }

  start(): Promise<AddressInfo> {
    return this.server.start();
  }

  /** The gateway URL (…/gateway.do). */
  get url(): string {
    return `${this.server.url}/gateway.do`;
  }

  get connectionsAccepted(): number {
    return this.server.connectionsAccepted;
  }

  get faults() {
    return this.server.faults;
  }

  async stop(): Promise<void> {
    this.customer.stop();
    this.notifier.stop();
    await this.server.stop();
  }

  private async handle(path: string, body: string, fault: RequestFault): Promise<Reply> {
    if (path !== '/gateway.do') return { status: 404, contentType: 'text/plain', body: 'not found' };
    const params = Object.fromEntries(new URLSearchParams(body));
    const method = params.method ?? '';
    const appKey = this.options.appPublicKeys?.[params.app_id ?? ''] ?? this.appKeys.publicKeyPem;
    if (!params.sign || !rsa2Verify(appKey, signContent(params), params.sign)) {
      return this.reply(method, fail('isv.invalid-signature', 'invalid signature', '40002'));
    }
    let biz: Biz;
    try {
      biz = JSON.parse(params.biz_content ?? '{}');
    } catch {
      return this.reply(method, fail('isv.invalid-parameter', 'biz_content is not JSON', '40002'));
    }
    const acct: Account = { appId: params.app_id ?? '', merchantId: biz.seller_id ?? '', scope: params.app_id };
    if (fault === 'error') return this.reply(method, SYSTEM_ERROR);
    const no = biz.out_trade_no ?? '';
    switch (method) {
      case ALIPAY_METHODS.pay:
        return this.pay(method, acct, biz);
      case ALIPAY_METHODS.precreate:
        return this.reply(method, this.precreate(acct, biz, params.notify_url || this.options.notifyUrl));
      case ALIPAY_METHODS.query:
        return this.reply(method, this.query(acct.appId, no));
      case ALIPAY_METHODS.cancel: {
        const v = this.ledger.cancel(acct, no);
        return this.reply(method, {
          ...OK,
          out_trade_no: no,
          trade_no: v.order.channelOrderId,
          retry_flag: 'N',
          action: v.refunded ? 'refund' : 'close',
        });
      }
      case ALIPAY_METHODS.close:
        return this.reply(method, this.close(acct.appId, no));
      case ALIPAY_METHODS.refund:
        return this.reply(method, this.refund(acct.appId, biz));
      default:
        return this.reply(method, fail('isv.invalid-method', 'unknown method', '40002'));
    }
  }

  private async reply(method: string, node: Node | null): Promise<Reply> {
    if (node === null) return null;
    const member = JSON.stringify(node);
    const sign = (await inlineRsaSigner(this.alipayKeys.privateKeyPem, Buffer.from(member, 'utf8'))).toString('base64');
    return {
      status: 200,
      contentType: 'application/json;charset=utf-8',
      body: `{"${responseMember(method || 'error')}":${member},"sign":"${sign}"}`,
    };
  }

  private pay(method: string, acct: Account, biz: Biz): Promise<Reply> {
    const amount = yuanToFen(biz.total_amount);
    if (!amount) return this.reply(method, fail('ACQ.INVALID_PARAMETER', 'total_amount invalid'));
    const code = biz.auth_code ?? '';
    if (walletForPaymentCode(code) !== 'AL') {
      return this.reply(method, fail('ACQ.PAYMENT_AUTH_CODE_INVALID', 'invalid payment code'));
    }
    const v = this.ledger.pay(acct, biz.out_trade_no ?? '', amount, code);
    switch (v.kind) {
      case 'no-answer':
        return this.reply(method, null);
      case 'paid':
        return this.reply(method, { ...OK, ...tradeFields(v.order) });
      case 'paying':
        return this.reply(method, { code: '10003', msg: 'order success pay inprocess', ...tradeFields(v.order) });
      case 'insufficient-funds':
        return this.reply(method, fail('ACQ.BUYER_BALANCE_NOT_ENOUGH', 'insufficient balance'));
      case 'system-error':
        return this.reply(method, SYSTEM_ERROR);
      case 'order-exists':
        return this.reply(
          method,
          v.order.state === 'paid'
            ? fail('ACQ.TRADE_HAS_SUCCESS', 'trade already paid')
            : fail('ACQ.TRADE_HAS_CLOSE', 'trade closed'),
        );
    }
  }

  private precreate(acct: Account, biz: Biz, notifyUrl: string | undefined): Node {
    const amount = yuanToFen(biz.total_amount);
    if (!amount) return fail('ACQ.INVALID_PARAMETER', 'total_amount invalid');
    const { order, created } = this.ledger.precreate(acct, biz.out_trade_no ?? '', amount);
    if (!created && order.state === 'paid') return fail('ACQ.TRADE_HAS_SUCCESS', 'trade already paid');
    if (!created && order.state !== 'created') return fail('ACQ.TRADE_HAS_CLOSE', 'trade closed');
    if (!created && order.amountFen !== amount) return fail('ACQ.CONTEXT_INCONSISTENT', 'order number reused');
    if (created) {
      this.customer.schedule(order, (o) => {
        if (this.options.notifyPending) this.notify(o, notifyUrl, 'WAIT_BUYER_PAY');
        this.notify(o, notifyUrl, 'TRADE_SUCCESS');
      });
    }
    return { ...OK, out_trade_no: order.outTradeNo, qr_code: `https://qr.alipay.com/bax${order.channelOrderId}` };
  }

  private query(scope: string, no: string): Node {
    const order = this.ledger.query(scope, no);
    if (!order) return fail('ACQ.TRADE_NOT_EXIST', 'trade does not exist');
    return { ...OK, ...tradeFields(order), trade_status: TRADE_STATUS[order.state] };
  }

  private close(scope: string, no: string): Node {
    const v = this.ledger.close(scope, no);
    if (v.kind === 'not-found') return fail('ACQ.TRADE_NOT_EXIST', 'trade does not exist');
    if (v.kind === 'order-paid') return fail('ACQ.TRADE_STATUS_ERROR', 'trade already paid');
    return { ...OK, out_trade_no: no, trade_no: v.order?.channelOrderId ?? '' };
  }

  private refund(scope: string, biz: Biz): Node {
    const fen = yuanToFen(biz.refund_amount) ?? 0;
    const v = this.ledger.refund(scope, biz.out_trade_no ?? '', biz.out_request_no ?? '', fen);
    switch (v.kind) {
      case 'not-found':
        return fail('ACQ.TRADE_NOT_EXIST', 'trade does not exist');
      case 'not-paid':
        return fail('ACQ.TRADE_STATUS_ERROR', 'trade is not paid');
      case 'exceeds':
        return fail('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', 'refund exceeds the refundable amount');
      case 'mismatch':
        return fail('ACQ.CONTEXT_INCONSISTENT', 'refund number reused with another amount');
      default:
        return {
          ...OK,
          ...tradeFields(v.order),
          fund_change: v.kind === 'refunded' ? 'Y' : 'N',
          refund_fee: fenToYuan(v.order.refundedFen),
        };
    }
  }

  private notify(order: LedgerOrder, url: string | undefined, status: string): void {
    const params: Record<string, string> = {
      notify_time: chinaTime(Date.now(), 'dashed'),
      notify_type: 'trade_status_sync',
      notify_id: randomHex(16),
      app_id: order.appId,
      charset: 'utf-8',
      version: '1.0',
      trade_no: order.channelOrderId,
      out_trade_no: order.outTradeNo,
      seller_id: order.merchantId,
      trade_status: status,
      total_amount: fenToYuan(order.amountFen),
      ...(status === 'TRADE_SUCCESS' && order.paidAt ? { gmt_payment: chinaTime(order.paidAt, 'dashed') } : {}),
    };
    void inlineRsaSigner(this.alipayKeys.privateKeyPem, Buffer.from(signContent(params, NOTIFY_UNSIGNED))).then(
      (sig) => {
        const body = new URLSearchParams({ ...params, sign_type: 'RSA2', sign: sig.toString('base64') }).toString();
        this.notifier.send(url, order.outTradeNo, status, body);
      },
    );
  }
}

function tradeFields(order: LedgerOrder): Node {
  const f: Node = {
    trade_no: order.channelOrderId,
    out_trade_no: order.outTradeNo,
    total_amount: fenToYuan(order.amountFen),
  };
  if (order.paidAt) f.gmt_payment = chinaTime(order.paidAt, 'dashed');
  return f;
}
