// A UnionPay host request (the sale's pay, as the link sends it) framed two ways in the same run: the
// old composition, encoded into a buffer of its own and copied behind the frame's head by buildFrame,
// and in place, encoded after room for the head (Codec.encodeNumberedAt) with the head written in front
// (writeFrameHead). Interleaved windows, best of each (measure.ts), and their ratio.
// Usage: npm run build && node dist/bench/codec/frame.js [--quick]
import { buildHostRequest } from '../../src/channels/unionpay/messages.js';
import { BOX_LAYOUT, buildFrame, codecFor, replyHeadBytes, writeFrameHead } from '../../src/iso8583/index.js';
import { keepAlive, measureAll } from './measure.js';

const quick = process.argv.includes('--quick');
const codec = codecFor('cups-pos');
const tpdu = Buffer.from('6000030000', 'hex');
const header = Buffer.from('603100000000', 'hex');
const head = replyHeadBytes(BOX_LAYOUT);
const pay = buildHostRequest({
  op: 'pay',
  tid: 'T0000001',
  mid: '898310048990001',
  stan: '000123',
  batch: '000001',
  outTradeNo: '89831004899000126341000126267',
  amountFen: 52_017,
  authCode: '134567890123456789',
});

const copied = () => buildFrame({ tpdu, header, message: codec.encodeNumbered(pay) }, BOX_LAYOUT);
const inPlace = () => writeFrameHead(codec.encodeNumberedAt(head, pay), BOX_LAYOUT, tpdu, header);
if (!copied().equals(inPlace())) throw new Error('the two frames differ');

const [a, b] = measureAll(
  [
    { name: 'host request: encode, then buildFrame (copy)', fn: copied },
    { name: 'host request: encodeNumberedAt + writeFrameHead', fn: inPlace },
  ],
  quick ? 2 : 5,
  quick ? 0.2 : 0.5,
  quick ? 20_000 : 100_000,
);
keepAlive();
for (const r of [a, b]) {
  console.log(
    `${r.name.padEnd(50)} ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(12)}/s  p50 ${r.p50us.toFixed(2)} µs`,
  );
}
console.log(
  `in place / copied: ${(b.opsPerSec / a.opsPerSec).toFixed(2)}× the frames per second (${copied().length} B frame)`,
);
