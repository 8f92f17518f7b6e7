// The stored answer every request writes (src/flows/stored-answer.ts): the direct encoder against
// msgpackr's general `pack` of the same object (what it replaced; the bytes are the same), for an
// approved sale's answer. Three interleaved rounds of 1,000,000 each, ns per answer.
//
//   npm run build && node dist/bench/flows/stored-answer.js
import { pack } from 'msgpackr';
import { encodeResult } from '../../src/flows/stored-answer.js';
import type { TransactionResult } from '../../src/server/dispatcher.js';

const sale: TransactionResult = {
  rc: '00',
  fields: { 12: '101010', 13: '1206', 14: '2912', 15: '1206', 37: '341000152571', 38: '123456', 39: '00' },
};
const viaMsgpackr = (r: TransactionResult) => pack({ rc: r.rc, fields: r.fields ?? {}, omit: r.omit ?? [] });
if (Buffer.compare(encodeResult(sale), viaMsgpackr(sale)) !== 0) throw new Error('the two encoders disagree');

const N = 1_000_000;
let sink = 0;
function nsPer(encode: (r: TransactionResult) => Uint8Array): number {
  for (let i = 0; i < N / 5; i++) sink += encode(sale).length;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) sink += encode(sale).length;
  return Number(process.hrtime.bigint() - t0) / N;
}

console.log(`node ${process.version}: an approved sale's stored answer, ns per encode`);
for (let round = 1; round <= 3; round++) {
  const before = nsPer(viaMsgpackr);
  const now = nsPer(encodeResult);
  console.log(
    `round ${round}: msgpackr pack ${before.toFixed(0)} ns, direct ${now.toFixed(0)} ns (×${(before / now).toFixed(2)})`,
  );
}
if (sink === 0) console.log('');
