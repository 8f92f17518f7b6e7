// Alipay-style connector: form-encoded gateway requests signed RSA2 (signing runs through an
// injected signer, normally the crypto worker pool), JSON responses whose signature is verified
// over the exact response bytes. trade.pay / precreate / query / cancel / close / refund.
import { type Logger, silentLogger } from '../../log/logger.js';
import { maskPaymentCode } from '../../log/mask.js';
import { channelBadSignatures } from '../../metrics/channels.js';
import type { WalletAccount } from '../../terminals/types.js';
import type {
  CancelRequest,
  Channel,
  ChannelOperation,
  ChannelResult,
  CloseRequest,
  PayRequest,
  PrecreateRequest,
  QueryRequest,
  RefundRequest,
} from '../channel.js';
import { CallGuard, type GuardOptions } from '../guard.js';
import { type HttpPoolOptions, HttpTransport } from '../http-transport.js';
import { chinaTime } from '../time.js';
import { interpret, type ResponseNode } from './codes.js';
import { fenToYuan, inlineRsaSigner, type RsaSigner, rawMember, rsa2Verify, signContent } from './sign.js';

export interface AlipayCredentials {
  /** The merchant application's RSA2 private key (PEM), used to sign requests. */
  appPrivateKeyPem: string;
  /** Alipay's public key (PEM), to verify responses and notifications. */
  alipayPublicKeyPem: string;
}

export type AlipayKeyResolver = (account: Pick<WalletAccount, 'appId'>) => AlipayCredentials | undefined;

export interface AlipayConnectorOptions {
  /** The gateway URL, e.g. https://openapi.alipay.com/gateway.do */
  gatewayUrl: string;
  credentials: AlipayKeyResolver;
  notifyUrl: string;
  /** RSA2 signer; default signs on the calling thread. Plug `crypto.rsaSign.bind(crypto)` for the pool. */
  signer?: RsaSigner;
  pool?: Partial<HttpPoolOptions>;
  guard?: Partial<GuardOptions>;
  logger?: Logger;
}

export const ALIPAY_METHODS = {
  pay: 'alipay.trade.pay',
  precreate: 'alipay.trade.precreate',
  query: 'alipay.trade.query',
  cancel: 'alipay.trade.cancel',
  close: 'alipay.trade.close',
  refund: 'alipay.trade.refund',
} as const satisfies Record<ChannelOperation, string>;

/** `alipay.trade.pay` → `alipay_trade_pay_response`: the member that carries (and is signed as) the answer. */
export const responseMember = (method: string) => `${method.replaceAll('.', '_')}_response`;

export class AlipayConnector implements Channel {
  readonly wallet = 'AL' as const;
  readonly guard: CallGuard;
  private readonly http: HttpTransport;
  private readonly signer: RsaSigner;
  private readonly logger: Logger;

  constructor(private readonly options: AlipayConnectorOptions) {
    this.logger = (options.logger ?? silentLogger).child({ wallet: 'AL' });
    this.http = new HttpTransport('AL', options.gatewayUrl, options.pool);
    // The guard's queue must be the only queue: a call waiting inside undici for a connection cannot be
    // told apart from one sent, so it would come back `unknown` instead of a clean refusal.
    this.guard = new CallGuard('AL', { maxConcurrent: this.http.capacity, ...options.guard }, this.logger);
    this.signer = options.signer ?? inlineRsaSigner;
  }

  get openConnections(): number {
    return this.http.openConnections;
  }

  pay(req: PayRequest): Promise<ChannelResult> {
    this.logger.debug({ outTradeNo: req.outTradeNo, code: maskPaymentCode(req.authCode) }, 'trade.pay');
    return this.call('pay', req.account, {
      out_trade_no: req.outTradeNo,
      scene: 'bar_code',
      seller_id: req.account.merchantId,
      auth_code: req.authCode,
      subject: req.subject,
      total_amount: fenToYuan(req.amountFen),
      ...(req.terminalId ? { terminal_id: req.terminalId } : {}),
    });
  }

  precreate(req: PrecreateRequest): Promise<ChannelResult> {
    return this.call(
      'precreate',
      req.account,
      {
        out_trade_no: req.outTradeNo,
        seller_id: req.account.merchantId,
        subject: req.subject,
        total_amount: fenToYuan(req.amountFen),
        ...(req.terminalId ? { terminal_id: req.terminalId } : {}),
      },
      this.options.notifyUrl,
    );
  }

  query(req: QueryRequest): Promise<ChannelResult> {
    return this.call('query', req.account, { out_trade_no: req.outTradeNo });
  }

  cancel(req: CancelRequest): Promise<ChannelResult> {
    return this.call('cancel', req.account, { out_trade_no: req.outTradeNo });
  }

  close(req: CloseRequest): Promise<ChannelResult> {
    return this.call('close', req.account, { out_trade_no: req.outTradeNo });
  }

  refund(req: RefundRequest): Promise<ChannelResult> {
    return this.call('refund', req.account, {
      out_trade_no: req.outTradeNo,
      out_request_no: req.outRefundNo,
      refund_amount: fenToYuan(req.refundFen),
    });
  }

  destroy(): Promise<void> {
    return this.http.close();
  }

  private call(
    op: ChannelOperation,
    account: WalletAccount,
    biz: Record<string, string>,
    notifyUrl?: string,
  ): Promise<ChannelResult> {
    const creds = this.options.credentials(account);
    if (!creds) {
      return Promise.resolve({
        outcome: 'failed',
        reason: 'invalid-merchant',
        walletCode: 'NO_CREDENTIALS',
        walletMessage: 'no RSA2 keys configured for this app',
      });
    }
    const method = ALIPAY_METHODS[op];
    if (account.subMerchantId) biz.sub_merchant = JSON.stringify({ merchant_id: account.subMerchantId });
    return this.guard.run(op, async (deadline) => {
      const params: Record<string, string> = {
        app_id: account.appId,
        method,
        format: 'JSON',
        charset: 'utf-8',
        sign_type: 'RSA2',
        timestamp: chinaTime(Date.now(), 'dashed'),
        version: '1.0',
        biz_content: JSON.stringify(biz),
      };
      if (notifyUrl) params.notify_url = notifyUrl;
      params.sign = (await this.signer(creds.appPrivateKeyPem, Buffer.from(signContent(params), 'utf8'))).toString(
        'base64',
      );
      const reply = await this.http.post(
        '',
        new URLSearchParams(params).toString(),
        'application/x-www-form-urlencoded;charset=utf-8',
        deadline,
      );
      if (reply.status !== 200) {
        return { outcome: 'unknown', reason: 'system-error', walletCode: `HTTP_${reply.status}`, walletMessage: '' };
      }
      return this.read(op, method, reply.body, creds.alipayPublicKeyPem);
    });
  }

  private read(op: ChannelOperation, method: string, body: string, alipayPublicKeyPem: string): ChannelResult {
    let doc: { sign?: string } & Record<string, unknown>;
    try {
      doc = JSON.parse(body);
    } catch {
      return { outcome: 'unknown', reason: 'bad-response', walletCode: 'BAD_JSON', walletMessage: 'not JSON' };
    }
    const raw = rawMember(body, responseMember(method));
    if (raw === undefined || typeof doc.sign !== 'string' || !rsa2Verify(alipayPublicKeyPem, raw, doc.sign)) {
      channelBadSignatures.inc({ wallet: 'AL' });
      return { outcome: 'unknown', reason: 'bad-signature', walletCode: 'BAD_SIGN', walletMessage: 'bad signature' };
    }
    return interpret(op, doc[responseMember(method)] as ResponseNode);
  }
}
