// The channel operations as cups-pos messages on the host link, and the host's field 39 back as
// outcomes. The merchant order number travels in field 59 tag B1 (a host-link tag; boxes never see
// it), the refund number in B2, the payment code in A3 as from a box.
import { appendField59Item, type IsoMessage } from '../../iso8583/index.js';
import type { ChannelOperation, ChannelResult } from '../channel.js';
import type { Outcome, WalletReason } from '../outcomes.js';
import { readReplyTags } from './reply-tags.js';

export const TAG_ORDER_NO = 'B1';
export const TAG_REFUND_NO = 'B2';

export interface HostRequest {
  op: ChannelOperation;
  tid: string;
  mid: string;
  stan: string;
  batch: string;
  outTradeNo: string;
  amountFen?: number;
  authCode?: string;
  outRefundNo?: string;
}

const amount = (fen: number) => String(fen).padStart(12, '0');

/** Field 60: type (60.1), batch (60.2), network management code (60.3). */
const field60 = (type: string, batch: string, nmc = '000') => `${type}${batch}${nmc}`;

/**
 * One attempt's host message. Field 59 is appended item by item (buildField59's checks, no list of
 * pairs) and each operation's fields are one literal: fields added to a smaller literal grew its
 * element store on the way. Two per UnionPay precreate (the precreate, the poll's query).
 */
export function buildHostRequest(r: HostRequest): IsoMessage {
  let f59 = '';
  if (r.authCode) f59 = appendField59Item(f59, 'A3', r.authCode);
  if (r.op === 'precreate') f59 = appendField59Item(f59, 'A4', 'UP');
  f59 = appendField59Item(f59, TAG_ORDER_NO, r.outTradeNo);
  if (r.outRefundNo) f59 = appendField59Item(f59, TAG_REFUND_NO, r.outRefundNo);
  switch (r.op) {
    case 'pay':
    case 'precreate': {
      const fields = {
        3: '000000',
        4: amount(r.amountFen ?? 0),
        11: r.stan,
        22: '032',
        25: '00',
        41: r.tid,
        42: r.mid,
        49: '156',
        59: f59,
        60: field60('22', r.batch),
      };
      return { mti: '0200', fields };
    }
    case 'query': {
      const fields = { 3: '300000', 11: r.stan, 25: '00', 41: r.tid, 42: r.mid, 59: f59, 60: field60('01', r.batch) };
      return { mti: '0200', fields };
    }
    case 'cancel':
    case 'close': {
      // A reversal; reason 98 (no answer) cancels whatever the state, 06 asks to close an unpaid order only.
      const fields = {
        3: '000000',
        11: r.stan,
        25: '00',
        39: r.op === 'cancel' ? '98' : '06',
        41: r.tid,
        42: r.mid,
        59: f59,
        60: field60('22', r.batch),
      };
      return { mti: '0400', fields };
    }
    case 'refund': {
      const fields = {
        3: '200000',
        4: amount(r.amountFen ?? 0),
        11: r.stan,
        25: '00',
        41: r.tid,
        42: r.mid,
        49: '156',
        59: f59,
        60: field60('25', r.batch),
      };
      return { mti: '0220', fields };
    }
  }
}

type Verdict = [Outcome, WalletReason?];

const CODES: Record<string, Verdict> = {
  '00': ['success'],
  '09': ['user-paying'],
  '05': ['failed', 'declined'],
  '12': ['failed', 'order-paid'],
  '13': ['failed', 'invalid-amount'],
  '14': ['failed', 'invalid-code'],
  '25': ['failed', 'not-found'],
  '51': ['failed', 'insufficient-funds'],
  '64': ['failed', 'refund-exceeds'],
  '94': ['failed', 'declined'],
  '03': ['failed', 'invalid-merchant'],
  '91': ['unknown', 'system-error'],
  '96': ['unknown', 'system-error'],
  '98': ['unknown', 'timeout'],
};

/** Per-operation readings of field 39 that differ from the table. */
const BY_OPERATION: Partial<Record<ChannelOperation, Record<string, Verdict>>> = {
  precreate: { '09': ['success'] },
  query: { '05': ['failed', 'order-closed'] },
};

export function interpretHostReply(op: ChannelOperation, reply: IsoMessage): ChannelResult {
  const code = reply.fields[39] ?? '';
  const [outcome, reason] = BY_OPERATION[op]?.[code] ?? CODES[code] ?? ['unknown', 'bad-response'];
  const tags = readReplyTags(reply.fields[59] ?? '');
  const out: ChannelResult = { outcome, walletCode: code, walletMessage: tags.message };
  if (reason) out.reason = reason;
  if (tags.orderId) out.channelOrderId = tags.orderId;
  if (tags.qr) out.qrContent = tags.qr;
  if (reply.fields[4]) out.amountFen = Number(reply.fields[4]);
  return out;
}
