// Alipay gateway codes and sub-codes → the channel's outcomes. 10000 success, 10003 waiting for the
// buyer (pay), 20000 service unavailable (unknown: query), 40004 business failure (sub_code says
// why), 4000x request errors. Trade states answer a query.
import type { ChannelOperation, ChannelResult } from '../channel.js';
import type { Outcome, WalletReason } from '../outcomes.js';
import { yuanToFen } from './sign.js';

type Verdict = [Outcome, WalletReason?];

const SUB_CODES: Record<string, Verdict> = {
  'ACQ.SYSTEM_ERROR': ['unknown', 'system-error'],
  'ACQ.TRADE_NOT_EXIST': ['failed', 'not-found'],
  'ACQ.BUYER_BALANCE_NOT_ENOUGH': ['failed', 'insufficient-funds'],
  'ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH': ['failed', 'insufficient-funds'],
  'ACQ.PAYMENT_AUTH_CODE_INVALID': ['failed', 'invalid-code'],
  'ACQ.PAYMENT_FAIL': ['failed', 'declined'],
  'ACQ.TRADE_HAS_SUCCESS': ['failed', 'order-paid'],
  'ACQ.TRADE_HAS_CLOSE': ['failed', 'order-closed'],
  'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL': ['failed', 'refund-exceeds'],
  'ACQ.TOTAL_FEE_EXCEED': ['failed', 'invalid-amount'],
  'ACQ.CONTEXT_INCONSISTENT': ['failed', 'declined'],
  'ACQ.INVALID_PARAMETER': ['failed', 'declined'],
  'ACQ.TRADE_BUYER_NOT_MATCH': ['failed', 'declined'],
  'ACQ.SELLER_BALANCE_NOT_ENOUGH': ['failed', 'insufficient-funds'],
};

/** Sub-codes whose meaning depends on the operation. */
const BY_OPERATION: Partial<Record<ChannelOperation, Record<string, Verdict>>> = {
  close: { 'ACQ.TRADE_STATUS_ERROR': ['failed', 'order-paid'], 'ACQ.TRADE_HAS_CLOSE': ['success'] },
  refund: { 'ACQ.TRADE_STATUS_ERROR': ['failed', 'declined'] },
};

const TRADE_STATUS: Record<string, Verdict> = {
  WAIT_BUYER_PAY: ['user-paying'],
  TRADE_SUCCESS: ['success'],
  TRADE_FINISHED: ['success'],
  TRADE_CLOSED: ['failed', 'order-closed'],
};

export type ResponseNode = Record<string, string | undefined>;

function verdictFor(op: ChannelOperation, node: ResponseNode): [Verdict, string] {
  const code = node.code ?? '';
  if (code === '10000') {
    if (op !== 'query') return [['success'], code];
    const status = node.trade_status ?? '';
    return [TRADE_STATUS[status] ?? ['unknown', 'bad-response'], status];
  }
  if (code === '10003' && op === 'pay') return [['user-paying'], 'WAIT_BUYER_PAY'];
  const sub = node.sub_code ?? code;
  if (code === '40004') return [BY_OPERATION[op]?.[sub] ?? SUB_CODES[sub] ?? ['failed', 'declined'], sub];
  if (code === '20001' || sub === 'isv.invalid-signature' || sub === 'isv.invalid-app-id') {
    return [['failed', 'invalid-merchant'], sub];
  }
  if (code === '40001' || code === '40002') return [['failed', 'declined'], sub];
  return [['unknown', 'system-error'], sub || 'NO_CODE'];
}

/** Interprets the signature-checked `<method>_response` object of one operation. */
export function interpret(op: ChannelOperation, node: ResponseNode): ChannelResult {
  const [[outcome, reason], walletCode] = verdictFor(op, node);
  const out: ChannelResult = { outcome, walletCode, walletMessage: node.sub_msg ?? node.msg ?? '' };
  if (reason) out.reason = reason;
  if (node.trade_no) out.channelOrderId = node.trade_no;
  if (node.qr_code) out.qrContent = node.qr_code;
  const amount = yuanToFen(node.total_amount);
  if (amount !== undefined) out.amountFen = amount;
  const refunded = yuanToFen(node.refund_fee);
  if (refunded !== undefined) out.refundedFen = refunded;
  return out;
}
