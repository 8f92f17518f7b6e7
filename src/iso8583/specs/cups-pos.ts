// The box protocol (box-protocol.md §2): UnionPay POS style. BCD MTI, binary primary bitmap only.
// Numerics are BCD: fixed ones right-aligned (field 22 left-aligned), variable ones left-aligned with
// a trailing 0 nibble and a length counting digits. an/ans are ASCII (fixed: space padded), b is raw;
// their variable lengths count bytes. Every length prefix is BCD.
import type { FieldDef, Spec } from '../spec.js';
import { buildFields, type Row } from './table.js';

const rows: readonly Row[] = [
  [2, 'primary account number', 'n', 'LL', 19],
  [3, 'processing code', 'n', 'fixed', 6],
  [4, 'amount, transaction', 'n', 'fixed', 12],
  [11, 'system trace audit number', 'n', 'fixed', 6],
  [12, 'time, local transaction', 'n', 'fixed', 6],
  [13, 'date, local transaction', 'n', 'fixed', 4],
  [14, 'date, expiration', 'n', 'fixed', 4],
  [15, 'date, settlement', 'n', 'fixed', 4],
  [22, 'point of service entry mode', 'n', 'fixed', 3],
  [23, 'card sequence number', 'n', 'fixed', 3],
  [25, 'point of service condition code', 'n', 'fixed', 2],
  // 26 and 52 are in the POS spec's layout; boxes have no PIN pad but the codec still reads them.
  [26, 'point of service PIN capture code', 'n', 'fixed', 2],
  [32, 'acquiring institution id', 'n', 'LL', 11],
  [35, 'track 2 data', 'z', 'LL', 37],
  [36, 'track 3 data', 'z', 'LLL', 104],
  [37, 'retrieval reference number', 'an', 'fixed', 12],
  [38, 'authorization id response', 'an', 'fixed', 6],
  [39, 'response code', 'an', 'fixed', 2],
  [41, 'card acceptor terminal id', 'ans', 'fixed', 8],
  [42, 'card acceptor id', 'ans', 'fixed', 15],
  [44, 'additional response data', 'an', 'LL', 25],
  [48, 'additional data, private (settlement totals)', 'n', 'LLL', 322],
  [49, 'currency code, transaction', 'an', 'fixed', 3],
  [52, 'PIN data', 'b', 'fixed', 8],
  [53, 'security related control information', 'n', 'fixed', 16],
  [55, 'IC card data (BER-TLV)', 'b', 'LLL', 255],
  [59, 'QR-box data (TLV)', 'ans', 'LLL', 600],
  [60, 'reserved private (type, batch, network management)', 'n', 'LLL', 17],
  [61, 'original message data', 'n', 'LLL', 29],
  [62, 'reserved private (working keys)', 'b', 'LLL', 512],
  [63, 'reserved private (operator / wallet code)', 'ans', 'LLL', 163],
  [64, 'message authentication code', 'b', 'fixed', 8],
];

function rule([, name, format, lengthType, length]: Row): FieldDef {
  const fixed = lengthType === 'fixed';
  if (format === 'n' || format === 'z') {
    return {
      name,
      format,
      length,
      lengthType,
      units: 'digits',
      encoding: 'bcd',
      align: fixed ? 'right' : 'left',
      padding: fixed ? 'zeros-left' : 'none',
      ...(fixed ? {} : { prefix: 'bcd' as const }),
    };
  }
  if (format === 'b') {
    return {
      name,
      format,
      length,
      lengthType,
      units: 'bytes',
      encoding: 'binary',
      padding: 'none',
      ...(fixed ? {} : { prefix: 'bcd' as const }),
    };
  }
  return {
    name,
    format,
    length,
    lengthType,
    units: 'bytes',
    encoding: 'ascii',
    padding: fixed ? 'spaces-right' : 'none',
    ...(fixed ? {} : { prefix: 'bcd' as const }),
  };
}

export const cupsPos: Spec = Object.freeze({
  name: 'cups-pos',
  description: 'boxfep box protocol: UnionPay POS (Q/CUP 007) style ISO 8583, BCD numerics, binary bitmap',
  mti: 'bcd',
  bitmap: 'binary',
  maxField: 64,
  fields: buildFields(rows, rule, { 22: { align: 'left' } }),
});
