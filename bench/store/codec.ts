// msgpackr vs JSON for the records the store keeps: encode and decode ops/s and encoded size.
import { Packr } from 'msgpackr';
import type { Order } from '../../src/store/types.js';

const packr = new Packr({ useRecords: false, int64AsType: 'number', variableMapSize: true });

export const sampleOrder: Order = {
  rrn: '060000012345',
  tid: 'T0000001',
  mid: 'M00000000000001',
  batch: '000001',
  stan: '000123',
  mti: '0200',
  kind: 'sale',
  amountFen: 12_34,
  wallet: 'WX',
  channelOrderId: '4200001234202503011234567890',
  paymentCodeMasked: '13************1234',
  outTradeNo: 'M0000000000000125060000012345',
  state: 'paid',
  refundedFen: 0,
  refundPendingFen: 0,
  limitDay: '20250301',
  createdAt: 1740801600000,
  updatedAt: 1740801601234,
  events: [
    { at: 1740801600000, state: 'paying' },
    { at: 1740801601234, state: 'paid', note: 'wallet SUCCESS' },
  ],
};

export interface CodecResult {
  name: string;
  encodeOps: number;
  decodeOps: number;
  bytes: number;
}

function rate(fn: () => unknown, ms: number): number {
  for (let i = 0; i < 20_000; i++) fn(); // warm up
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 1000; i++) fn();
    n += 1000;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

export function benchCodecs(ms = 700): CodecResult[] {
  const json = Buffer.from(JSON.stringify(sampleOrder));
  const mp = packr.pack(sampleOrder);
  let sink = 0;
  const results = [
    {
      name: 'JSON (stringify + Buffer)',
      encodeOps: rate(() => (sink += Buffer.from(JSON.stringify(sampleOrder)).length), ms),
      decodeOps: rate(() => (sink += (JSON.parse(json.toString('utf8')) as Order).amountFen), ms),
      bytes: json.length,
    },
    {
      name: 'msgpackr (maps)',
      encodeOps: rate(() => (sink += packr.pack(sampleOrder).length), ms),
      decodeOps: rate(() => (sink += (packr.unpack(mp) as Order).amountFen), ms),
      bytes: mp.length,
    },
  ];
  if (sink === 0) console.log('');
  return results;
}
