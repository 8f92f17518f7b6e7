// ISO 8583:1987 with every element in ASCII: ASCII MTI, primary and secondary bitmaps as 16 hex
// characters each, LL/LLL lengths as ASCII digits, binary fields as hex characters (their length
// prefix counts data bytes, as jPOS's IFA_LLLBINARY and moov-io's ASCII-hex binary fields do).
// The field table is the standard 1987 one (as in jPOS's ISO87APackager), with 55 as ICC data b..255.
import type { FieldDef, Spec } from '../spec.js';
import { buildFields, type Row } from './table.js';

const reserved = (from: number, to: number, name: string): Row[] => {
  const out: Row[] = [];
  for (let no = from; no <= to; no++) out.push([no, name, 'ans', 'LLL', 999]);
  return out;
};

const rows: readonly Row[] = [
  [2, 'primary account number', 'n', 'LL', 19],
  [3, 'processing code', 'n', 'fixed', 6],
  [4, 'amount, transaction', 'n', 'fixed', 12],
  [5, 'amount, settlement', 'n', 'fixed', 12],
  [6, 'amount, cardholder billing', 'n', 'fixed', 12],
  [7, 'transmission date and time', 'n', 'fixed', 10],
  [8, 'amount, cardholder billing fee', 'n', 'fixed', 8],
  [9, 'conversion rate, settlement', 'n', 'fixed', 8],
  [10, 'conversion rate, cardholder billing', 'n', 'fixed', 8],
  [11, 'system trace audit number', 'n', 'fixed', 6],
  [12, 'time, local transaction', 'n', 'fixed', 6],
  [13, 'date, local transaction', 'n', 'fixed', 4],
  [14, 'date, expiration', 'n', 'fixed', 4],
  [15, 'date, settlement', 'n', 'fixed', 4],
  [16, 'date, conversion', 'n', 'fixed', 4],
  [17, 'date, capture', 'n', 'fixed', 4],
  [18, 'merchant type', 'n', 'fixed', 4],
  [19, 'acquiring institution country code', 'n', 'fixed', 3],
  [20, 'PAN extended, country code', 'n', 'fixed', 3],
  [21, 'forwarding institution country code', 'n', 'fixed', 3],
  [22, 'point of service entry mode', 'n', 'fixed', 3],
  [23, 'card sequence number', 'n', 'fixed', 3],
  [24, 'network international identifier', 'n', 'fixed', 3],
  [25, 'point of service condition code', 'n', 'fixed', 2],
  [26, 'point of service capture code', 'n', 'fixed', 2],
  [27, 'authorizing id response length', 'n', 'fixed', 1],
  [28, 'amount, transaction fee', 'xn', 'fixed', 9],
  [29, 'amount, settlement fee', 'xn', 'fixed', 9],
  [30, 'amount, transaction processing fee', 'xn', 'fixed', 9],
  [31, 'amount, settlement processing fee', 'xn', 'fixed', 9],
  [32, 'acquiring institution id code', 'n', 'LL', 11],
  [33, 'forwarding institution id code', 'n', 'LL', 11],
  [34, 'primary account number, extended', 'ns', 'LL', 28],
  [35, 'track 2 data', 'z', 'LL', 37],
  [36, 'track 3 data', 'z', 'LLL', 104],
  [37, 'retrieval reference number', 'an', 'fixed', 12],
  [38, 'authorization id response', 'an', 'fixed', 6],
  [39, 'response code', 'an', 'fixed', 2],
  [40, 'service restriction code', 'an', 'fixed', 3],
  [41, 'card acceptor terminal id', 'ans', 'fixed', 8],
  [42, 'card acceptor id code', 'ans', 'fixed', 15],
  [43, 'card acceptor name/location', 'ans', 'fixed', 40],
  [44, 'additional response data', 'an', 'LL', 25],
  [45, 'track 1 data', 'an', 'LL', 76],
  [46, 'additional data - ISO', 'an', 'LLL', 999],
  [47, 'additional data - national', 'an', 'LLL', 999],
  [48, 'additional data - private', 'an', 'LLL', 999],
  [49, 'currency code, transaction', 'an', 'fixed', 3],
  [50, 'currency code, settlement', 'an', 'fixed', 3],
  [51, 'currency code, cardholder billing', 'an', 'fixed', 3],
  [52, 'PIN data', 'b', 'fixed', 8],
  [53, 'security related control information', 'n', 'fixed', 16],
  [54, 'additional amounts', 'an', 'LLL', 120],
  [55, 'ICC data (BER-TLV)', 'b', 'LLL', 255],
  ...reserved(56, 56, 'reserved ISO'),
  ...reserved(57, 59, 'reserved national'),
  ...reserved(60, 63, 'reserved private'),
  [64, 'message authentication code', 'b', 'fixed', 8],
  [65, 'bitmap, extended', 'b', 'fixed', 1],
  [66, 'settlement code', 'n', 'fixed', 1],
  [67, 'extended payment code', 'n', 'fixed', 2],
  [68, 'receiving institution country code', 'n', 'fixed', 3],
  [69, 'settlement institution country code', 'n', 'fixed', 3],
  [70, 'network management information code', 'n', 'fixed', 3],
  [71, 'message number', 'n', 'fixed', 4],
  [72, 'message number, last', 'n', 'fixed', 4],
  [73, 'date, action', 'n', 'fixed', 6],
  [74, 'credits, number', 'n', 'fixed', 10],
  [75, 'credits reversal, number', 'n', 'fixed', 10],
  [76, 'debits, number', 'n', 'fixed', 10],
  [77, 'debits reversal, number', 'n', 'fixed', 10],
  [78, 'transfer, number', 'n', 'fixed', 10],
  [79, 'transfer reversal, number', 'n', 'fixed', 10],
  [80, 'inquiries, number', 'n', 'fixed', 10],
  [81, 'authorizations, number', 'n', 'fixed', 10],
  [82, 'credits, processing fee amount', 'n', 'fixed', 12],
  [83, 'credits, transaction fee amount', 'n', 'fixed', 12],
  [84, 'debits, processing fee amount', 'n', 'fixed', 12],
  [85, 'debits, transaction fee amount', 'n', 'fixed', 12],
  [86, 'credits, amount', 'n', 'fixed', 16],
  [87, 'credits reversal, amount', 'n', 'fixed', 16],
  [88, 'debits, amount', 'n', 'fixed', 16],
  [89, 'debits reversal, amount', 'n', 'fixed', 16],
  [90, 'original data elements', 'n', 'fixed', 42],
  [91, 'file update code', 'an', 'fixed', 1],
  [92, 'file security code', 'an', 'fixed', 2],
  [93, 'response indicator', 'an', 'fixed', 5],
  [94, 'service indicator', 'an', 'fixed', 7],
  [95, 'replacement amounts', 'an', 'fixed', 42],
  [96, 'message security code', 'b', 'fixed', 8],
  [97, 'amount, net settlement', 'xn', 'fixed', 17],
  [98, 'payee', 'ans', 'fixed', 25],
  [99, 'settlement institution id code', 'n', 'LL', 11],
  [100, 'receiving institution id code', 'n', 'LL', 11],
  [101, 'file name', 'ans', 'LL', 17],
  [102, 'account id 1', 'ans', 'LL', 28],
  [103, 'account id 2', 'ans', 'LL', 28],
  [104, 'transaction description', 'ans', 'LLL', 100],
  ...reserved(105, 111, 'reserved ISO'),
  ...reserved(112, 119, 'reserved national'),
  ...reserved(120, 127, 'reserved private'),
  [128, 'message authentication code', 'b', 'fixed', 8],
];

function rule([, name, format, lengthType, length]: Row): FieldDef {
  const fixed = lengthType === 'fixed';
  const prefix = fixed ? {} : { prefix: 'ascii' as const };
  if (format === 'b')
    return { name, format, length, lengthType, units: 'bytes', encoding: 'hex', padding: 'none', ...prefix };
  const padding = !fixed || format === 'xn' ? 'none' : format === 'n' ? 'zeros-left' : 'spaces-right';
  return { name, format, length, lengthType, units: 'digits', encoding: 'ascii', padding, ...prefix };
}

export const iso87ascii: Spec = Object.freeze({
  name: 'iso87ascii',
  description: 'ISO 8583:1987, all elements ASCII: ASCII MTI and lengths, hex bitmaps, binary fields as hex',
  mti: 'ascii',
  bitmap: 'hex',
  maxField: 128,
  fields: buildFields(rows, rule),
});
