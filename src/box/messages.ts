// Request builders for the box protocol's transactions (box-protocol.md §4), as a box fills them.
import { buildField59, buildField60, buildField61, type IsoMessage } from '../iso8583/index.js';
import type { WalletCode } from '../terminals/types.js';

export interface Identity {
  tid: string;
  mid: string;
  batch: string;
}

const amount12 = (fen: number) => {
  if (!Number.isSafeInteger(fen) || fen < 0 || fen > 999_999_999_999) throw new RangeError(`bad amount ${fen}`);
  return String(fen).padStart(12, '0');
};

export function signOnRequest(id: Identity, stan: string, netCode: '003' | '004' = '003'): IsoMessage {
  return {
    mti: '0800',
    fields: { 11: stan, 41: id.tid, 42: id.mid, 60: buildField60({ type: '00', batch: id.batch, netCode }), 63: '01 ' },
  };
}

export function signOffRequest(id: Identity, stan: string): IsoMessage {
  return {
    mti: '0820',
    fields: { 11: stan, 41: id.tid, 42: id.mid, 60: buildField60({ type: '00', batch: id.batch, netCode: '002' }) },
  };
}

export function echoRequest(id: Identity, stan: string): IsoMessage {
  return {
    mti: '0820',
    fields: { 11: stan, 41: id.tid, 42: id.mid, 60: buildField60({ type: '00', batch: id.batch, netCode: '301' }) },
  };
}

/**
 * A financial request. The optional fields come under names (f37, not 37): an object keyed by field
 * number sizes its element store to the highest key (60 slots for `{ 59: … }`), per request.
 */
function financial(
  mti: string,
  processingCode: string,
  type: string,
  id: Identity,
  stan: string,
  amountFen: number,
  optional: { f37?: string; f59?: string; f61?: string } = NONE,
): IsoMessage {
  const fields: Record<number, string> = {
    3: processingCode,
    4: amount12(amountFen),
    11: stan,
    22: '032',
    25: '00',
    41: id.tid,
    42: id.mid,
    49: '156',
    60: buildField60({ type, batch: id.batch, netCode: '000' }),
  };
  if (optional.f37 !== undefined) fields[37] = optional.f37;
  if (optional.f59 !== undefined) fields[59] = optional.f59;
  if (optional.f61 !== undefined) fields[61] = optional.f61;
  return { mti, fields };
}

const NONE = {};

/** B2C sale: the box scanned the customer's payment code. */
export function saleRequest(
  id: Identity,
  stan: string,
  amountFen: number,
  paymentCode: string,
  serial?: string,
): IsoMessage {
  const code: [string, string] = ['A3', paymentCode];
  const f59 = buildField59(serial === undefined ? [code] : [['A2', serial], code]);
  return financial('0200', '000000', '22', id, stan, amountFen, { f59 });
}

/** C2B precreate: the box will show a code for `wallet` (or AG, one code for any wallet). */
export function precreateRequest(id: Identity, stan: string, amountFen: number, wallet: WalletCode | 'AG'): IsoMessage {
  return financial('0200', '000000', '22', id, stan, amountFen, { f59: buildField59([['A4', wallet]]) });
}

export interface OriginalRef {
  batch: string;
  stan: string;
  /** MMDD of the original (refunds). */
  date?: string;
  rrn?: string;
}

export function queryRequest(id: Identity, stan: string, original: OriginalRef): IsoMessage {
  return financial('0200', '300000', '01', id, stan, 0, {
    f61: buildField61({ batch: original.batch, stan: original.stan }),
  });
}

export function voidRequest(id: Identity, stan: string, amountFen: number, original: OriginalRef): IsoMessage {
  return financial('0200', '200000', '23', id, stan, amountFen, {
    f37: original.rrn,
    f61: buildField61({ batch: original.batch, stan: original.stan }),
  });
}

export function refundRequest(id: Identity, stan: string, amountFen: number, original: OriginalRef): IsoMessage {
  return financial('0220', '200000', '25', id, stan, amountFen, {
    f37: original.rrn,
    f61: buildField61({ batch: original.batch, stan: original.stan, date: original.date }),
  });
}

/** Reversal: a copy of the original request with MTI 0400 and 39 = the reason (98, 96, A0, 06). */
export function reversalRequest(original: IsoMessage, reason = '98'): IsoMessage {
  const fields: Record<number, string> = { ...original.fields, 39: reason };
  delete fields[64];
  return { mti: '0400', fields };
}

export interface SettlementTotals {
  debitFen: number;
  debitCount: number;
  creditFen: number;
  creditCount: number;
}

/** Field 48 (§6): domestic then foreign, 31 digits each; result digit 0 in the request. */
export function settlementField48(t: SettlementTotals): string {
  const part = (x: SettlementTotals) =>
    amount12(x.debitFen) +
    String(x.debitCount).padStart(3, '0') +
    amount12(x.creditFen) +
    String(x.creditCount).padStart(3, '0') +
    '0';
  return part(t) + part({ debitFen: 0, debitCount: 0, creditFen: 0, creditCount: 0 });
}

export function settlementRequest(id: Identity, stan: string, totals: SettlementTotals): IsoMessage {
  return {
    mti: '0500',
    fields: {
      11: stan,
      41: id.tid,
      42: id.mid,
      48: settlementField48(totals),
      49: '156',
      60: buildField60({ type: '00', batch: id.batch, netCode: '201' }),
    },
  };
}
