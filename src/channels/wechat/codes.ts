// WeChat Pay v2 result codes → the channel's outcomes. `return_code` says whether the request was
// understood; `result_code`/`err_code` say what happened to the money; `trade_state` is the order's
// state in a query. Anything not listed is treated as unknown: the flows then ask with a query.
import type { ChannelOperation, ChannelResult } from '../channel.js';
import type { Outcome, WalletReason } from '../outcomes.js';
import type { Fields } from './xml.js';

type Verdict = [Outcome, WalletReason?];

/** err_code values shared by every operation. */
const COMMON: Record<string, Verdict> = {
  SYSTEMERROR: ['unknown', 'system-error'],
  BANKERROR: ['unknown', 'system-error'],
  BIZERR_NEED_RETRY: ['unknown', 'system-error'],
  FREQUENCY_LIMITED: ['unknown', 'system-error'],
  ORDERNOTEXIST: ['failed', 'not-found'],
  NOAUTH: ['failed', 'invalid-merchant'],
  APPID_NOT_EXIST: ['failed', 'invalid-merchant'],
  MCHID_NOT_EXIST: ['failed', 'invalid-merchant'],
  APPID_MCHID_NOT_MATCH: ['failed', 'invalid-merchant'],
  SIGNERROR: ['failed', 'invalid-merchant'],
  PARAM_ERROR: ['failed', 'declined'],
  ORDERPAID: ['failed', 'order-paid'],
  ORDERCLOSED: ['failed', 'order-closed'],
  ORDERREVERSED: ['failed', 'order-reversed'],
};

const BY_OPERATION: Partial<Record<ChannelOperation, Record<string, Verdict>>> = {
  pay: {
    USERPAYING: ['user-paying'],
    AUTHCODEEXPIRE: ['failed', 'code-expired'],
    AUTH_CODE_INVALID: ['failed', 'invalid-code'],
    AUTH_CODE_ERROR: ['failed', 'invalid-code'],
    NOTENOUGH: ['failed', 'insufficient-funds'],
    NOTSUPORTCARD: ['failed', 'declined'],
    BUYER_MISMATCH: ['failed', 'declined'],
    TRADE_ERROR: ['failed', 'declined'],
    OUT_TRADE_NO_USED: ['failed', 'declined'],
    TOTAL_FEE_INVALID: ['failed', 'invalid-amount'],
  },
  cancel: { USERPAYING: ['unknown', 'system-error'], REVERSE_EXPIRE: ['failed', 'declined'] },
  close: { ORDERCLOSED: ['success'] },
  refund: {
    NOTENOUGH: ['failed', 'insufficient-funds'],
    ERROR: ['failed', 'refund-exceeds'],
    INVALID_REQUEST: ['failed', 'declined'],
    TRADE_STATE_ERROR: ['failed', 'declined'],
    TRADE_OVERDUE: ['failed', 'declined'],
  },
};

/** Order states of orderquery. */
const TRADE_STATE: Record<string, Verdict> = {
  SUCCESS: ['success'],
  REFUND: ['success'],
  NOTPAY: ['user-paying'],
  USERPAYING: ['user-paying'],
  CLOSED: ['failed', 'order-closed'],
  REVOKED: ['failed', 'order-reversed'],
  PAYERROR: ['failed', 'declined'],
};

function result(verdict: Verdict, walletCode: string, walletMessage: string, fields: Fields): ChannelResult {
  const [outcome, reason] = verdict;
  const out: ChannelResult = { outcome, walletCode, walletMessage };
  if (reason) out.reason = reason;
  if (fields.transaction_id) out.channelOrderId = fields.transaction_id;
  if (fields.code_url) out.qrContent = fields.code_url;
  if (fields.total_fee && /^\d+$/.test(fields.total_fee)) out.amountFen = Number(fields.total_fee);
  return out;
}

/** Interprets a signature-checked response of one operation. */
export function interpret(op: ChannelOperation, fields: Fields): ChannelResult {
  if (fields.return_code !== 'SUCCESS') {
    return result(['failed', 'declined'], fields.return_code ?? 'FAIL', fields.return_msg ?? '', fields);
  }
  if (fields.result_code === 'SUCCESS') {
    if (op !== 'query') return result(['success'], 'SUCCESS', 'OK', fields);
    const state = fields.trade_state ?? '';
    return result(TRADE_STATE[state] ?? ['unknown', 'bad-response'], state, fields.trade_state_desc ?? state, fields);
  }
  const code = fields.err_code ?? 'UNKNOWN';
  const verdict = BY_OPERATION[op]?.[code] ?? COMMON[code] ?? ['unknown', 'system-error'];
  return result(verdict, code, fields.err_code_des ?? code, fields);
}
