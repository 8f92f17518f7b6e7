// Alipay asynchronous notifications (trade_status_sync): form-encoded, signed RSA2 by Alipay over the
// sorted parameters without `sign` and `sign_type`; answered with exactly `success`.
import type { NotifyHandler, NotifyResult, OrderState } from '../channel.js';
import { NotifyError } from '../channel.js';
import { parseChinaTime } from '../time.js';
import type { AlipayKeyResolver } from './connector.js';
import { rsa2Verify, signContent, yuanToFen } from './sign.js';

export const ALIPAY_NOTIFY_PATH = '/notify/alipay';
export const ALIPAY_ACK = 'success';
export const ALIPAY_NACK = 'failure';
export const NOTIFY_UNSIGNED = ['sign', 'sign_type'] as const;

const STATES: Record<string, OrderState> = {
  WAIT_BUYER_PAY: 'pending',
  TRADE_SUCCESS: 'paid',
  TRADE_FINISHED: 'paid',
  TRADE_CLOSED: 'closed',
};

/** Verifies and translates one raw notification body. Pure: no I/O, no state. */
export function parseAlipayNotification(rawBody: Buffer, keys: AlipayKeyResolver): NotifyResult {
  const params = Object.fromEntries(new URLSearchParams(rawBody.toString('utf8')));
  const appId = params.app_id ?? '';
  const creds = keys({ appId });
  if (!creds) return { ok: false, error: new NotifyError('unknown-account', `no keys for app ${appId}`) };
  if (!params.sign || !rsa2Verify(creds.alipayPublicKeyPem, signContent(params, NOTIFY_UNSIGNED), params.sign)) {
    return { ok: false, error: new NotifyError('bad-signature', 'bad signature') };
  }
  const state = STATES[params.trade_status ?? ''];
  const amountFen = yuanToFen(params.total_amount);
  if (!state || amountFen === undefined || !params.out_trade_no) {
    return { ok: false, error: new NotifyError('bad-format', 'missing trade_status, total_amount or out_trade_no') };
  }
  const paidAt = parseChinaTime(params.gmt_payment ?? '');
  return {
    ok: true,
    event: {
      wallet: 'AL',
      outTradeNo: params.out_trade_no,
      state,
      amountFen,
      channelOrderId: params.trade_no ?? '',
      walletCode: params.trade_status ?? '',
      appId,
      merchantId: params.seller_id ?? '',
      ...(paidAt !== undefined && state === 'paid' ? { paidAt } : {}),
    },
  };
}

export function alipayNotifyHandler(keys: AlipayKeyResolver): NotifyHandler {
  return {
    wallet: 'AL',
    path: ALIPAY_NOTIFY_PATH,
    parse: (rawBody) => parseAlipayNotification(rawBody, keys),
    ack: { body: ALIPAY_ACK, contentType: 'text/plain' },
    nack: { body: ALIPAY_NACK, contentType: 'text/plain' },
  };
}
