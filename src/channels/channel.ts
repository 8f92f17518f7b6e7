// The one interface the transaction flows call, whatever the wallet behind it. Every call resolves
// (never rejects for a wallet or network problem): the result carries the outcome, and `unknown`
// means "ask again with query" — never "try a new pay".
import type { WalletAccount, WalletCode } from '../terminals/types.js';
import type { Outcome, WalletReason } from './outcomes.js';

export type ChannelOperation = 'pay' | 'precreate' | 'query' | 'cancel' | 'close' | 'refund';

interface OrderRef {
  /** The merchant's account at this wallet (MerchantRecord.wallets[wallet]). */
  account: WalletAccount;
  /** Merchant order number: one per box transaction, never changed while retrying. */
  outTradeNo: string;
}

/** B2C micropay: the box scanned the customer's payment code. */
export interface PayRequest extends OrderRef {
  amountFen: number;
  /** The scanned payment code; a bearer token — logs show it only through maskPaymentCode. */
  authCode: string;
  subject: string;
  /** Terminal id, passed to the wallet as device info. */
  terminalId?: string;
}

/** C2B: create an order whose QR code the box displays. */
export interface PrecreateRequest extends OrderRef {
  amountFen: number;
  subject: string;
  terminalId?: string;
}

export type QueryRequest = OrderRef;
/** Reverse/cancel an order whatever its state: an unpaid one is closed, a paid one refunded. */
export type CancelRequest = OrderRef;
/** Close an unpaid (precreated) order; fails with `order-paid` when the customer already paid. */
export type CloseRequest = OrderRef;

export interface RefundRequest extends OrderRef {
  /** Merchant refund number: the same number is the same refund (idempotent). */
  outRefundNo: string;
  refundFen: number;
  /** The order's full amount (WeChat requires it on every refund). */
  totalFen: number;
}

export interface ChannelResult {
  outcome: Outcome;
  /** The wallet's own result code, e.g. `USERPAYING`, `ACQ.TRADE_HAS_SUCCESS`, `10000`. */
  walletCode: string;
  /** The wallet's short text (for 59.A9 and logs). */
  walletMessage: string;
  /** The wallet's order / transaction id (59.A8). */
  channelOrderId?: string;
  /** C2B: the QR content to display (59.A6). */
  qrContent?: string;
  /** Set when outcome is `failed` or `unknown`. */
  reason?: WalletReason;
  /** Order amount the wallet reports (query), in fen. */
  amountFen?: number;
  /** Refund: total refunded so far on the order, in fen, when the wallet reports it. */
  refundedFen?: number;
}

export interface Channel {
  readonly wallet: WalletCode;
  pay(req: PayRequest): Promise<ChannelResult>;
  precreate(req: PrecreateRequest): Promise<ChannelResult>;
  query(req: QueryRequest): Promise<ChannelResult>;
  cancel(req: CancelRequest): Promise<ChannelResult>;
  close(req: CloseRequest): Promise<ChannelResult>;
  refund(req: RefundRequest): Promise<ChannelResult>;
  /** Closes pooled connections and timers; pending calls settle first. */
  destroy(): Promise<void>;
}

/** The state of an order as a wallet notification reports it. */
export type OrderState = 'pending' | 'paid' | 'closed' | 'refunded';

/** A verified inbound notification, turned into a wallet-independent event. */
export interface ChannelEvent {
  wallet: WalletCode;
  outTradeNo: string;
  state: OrderState;
  amountFen: number;
  channelOrderId: string;
  walletCode: string;
  appId: string;
  merchantId: string;
  /** Epoch ms of the payment, when the wallet states it. */
  paidAt?: number;
}

export class NotifyError extends Error {
  override name = 'NotifyError';
  constructor(
    readonly code: 'bad-format' | 'bad-signature' | 'unknown-account' | 'unsupported',
    message: string,
  ) {
    super(message);
  }
}

export type NotifyResult = { ok: true; event: ChannelEvent } | { ok: false; error: NotifyError };

/** A wallet's notification endpoint logic, with no server attached: mount it on any node:http server. */
export interface NotifyHandler {
  readonly wallet: WalletCode;
  /** The HTTP path the wallet posts to, e.g. `/notify/wechat`. */
  readonly path: string;
  parse(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): NotifyResult;
  /** Exact reply body once the notification is accepted (or was a duplicate). */
  readonly ack: { body: string; contentType: string };
  /** Reply body for a rejected notification: the wallet will retry. */
  readonly nack: { body: string; contentType: string };
}
