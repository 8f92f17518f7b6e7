// WeChat Pay v2 payment notifications (C2B): signed XML posted to notify_url, answered with
// `<return_code>SUCCESS</return_code>` once accepted; anything else makes WeChat retry.
import type { NotifyHandler, NotifyResult } from '../channel.js';
import { NotifyError } from '../channel.js';
import { parseChinaTime } from '../time.js';
import type { WechatKeyResolver } from './connector.js';
import { verify } from './sign.js';
import { buildXml, parseXml } from './xml.js';

export const WECHAT_NOTIFY_PATH = '/notify/wechat';
export const WECHAT_ACK = buildXml({ return_code: 'SUCCESS', return_msg: 'OK' });
export const WECHAT_NACK = buildXml({ return_code: 'FAIL', return_msg: 'rejected' });

/** Verifies and translates one raw notification body. Pure: no I/O, no state. */
export function parseWechatNotification(rawBody: Buffer, keys: WechatKeyResolver): NotifyResult {
  let fields: Record<string, string>;
  try {
    fields = parseXml(rawBody.toString('utf8'));
  } catch (err) {
    return { ok: false, error: new NotifyError('bad-format', (err as Error).message) };
  }
  const appId = fields.appid ?? '';
  const merchantId = fields.mch_id ?? '';
  const creds = keys({ appId, merchantId });
  if (!creds) return { ok: false, error: new NotifyError('unknown-account', `no key for merchant ${merchantId}`) };
  if (!verify(fields, creds.apiKey)) return { ok: false, error: new NotifyError('bad-signature', 'bad signature') };
  if (fields.return_code !== 'SUCCESS' || !fields.out_trade_no || !/^\d+$/.test(fields.total_fee ?? '')) {
    return { ok: false, error: new NotifyError('bad-format', 'missing out_trade_no or total_fee') };
  }
  const paid = fields.result_code === 'SUCCESS';
  const paidAt = parseChinaTime(fields.time_end ?? '');
  return {
    ok: true,
    event: {
      wallet: 'WX',
      outTradeNo: fields.out_trade_no,
      state: paid ? 'paid' : 'closed',
      amountFen: Number(fields.total_fee),
      channelOrderId: fields.transaction_id ?? '',
      walletCode: paid ? 'SUCCESS' : (fields.err_code ?? 'FAIL'),
      appId,
      merchantId,
      ...(paidAt !== undefined && paid ? { paidAt } : {}),
    },
  };
}

export function wechatNotifyHandler(keys: WechatKeyResolver): NotifyHandler {
  return {
    wallet: 'WX',
    path: WECHAT_NOTIFY_PATH,
    parse: (rawBody) => parseWechatNotification(rawBody, keys),
    ack: { body: WECHAT_ACK, contentType: 'text/xml' },
    nack: { body: WECHAT_NACK, contentType: 'text/xml' },
  };
}
