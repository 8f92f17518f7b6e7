// Golden frames of examples.md: decoded fields and byte-exact re-encoding.
import { readFileSync } from 'node:fs';
import t from 'tap';
import {
  BOX_LAYOUT,
  buildFrame,
  codecFor,
  FrameSplitter,
  macBlock,
  macOf,
  parseFrame,
  swapTpdu,
} from '../../src/iso8583/index.js';
import { fixture } from '../helpers/paths.js';

interface Example {
  frame: string;
  mti: string;
  fields: Record<string, string>;
  replyTpdu?: string;
  mac?: string;
}
const examples = JSON.parse(readFileSync(fixture('iso8583', 'examples.json'), 'utf8')) as Record<string, Example>;
const bytes = (hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
const codec = codecFor('cups-pos');

for (const name of ['saleRequest', 'signOnRequest']) {
  const ex = examples[name];
  t.test(`${name}: frame decodes to the documented fields and re-encodes byte for byte`, async (t) => {
    const wire = bytes(ex.frame);
    const payloads = new FrameSplitter(BOX_LAYOUT).push(wire);
    t.equal(payloads.length, 1, 'exactly one frame');
    const frame = parseFrame(payloads[0], BOX_LAYOUT);
    t.equal(frame.tpdu?.toString('hex').toUpperCase(), '6000030000');
    t.equal(frame.header?.toString('hex').toUpperCase(), '603100000000');
    const msg = codec.decode(frame.message);
    t.equal(msg.mti, ex.mti);
    t.same(msg.fields, ex.fields);
    const again = codec.encode({ mti: ex.mti, fields: ex.fields });
    t.equal(again.toString('hex'), frame.message.toString('hex'));
    t.equal(
      buildFrame({ tpdu: frame.tpdu, header: frame.header, message: again }, BOX_LAYOUT).toString('hex'),
      wire.toString('hex'),
    );
  });
}

t.test('sale: reply TPDU, MAC field as ASCII hex, MAC block is MTI..field 63', async (t) => {
  const ex = examples.saleRequest;
  const wire = bytes(ex.frame);
  const message = wire.subarray(13);
  t.equal(swapTpdu(wire.subarray(2, 7)).toString('hex').toUpperCase(), ex.replyTpdu);
  t.equal(macOf(message).toString('latin1'), ex.mac);
  t.equal(macBlock(message).length, message.length - 8);
  t.equal(macBlock(message).toString('hex'), message.subarray(0, -8).toString('hex'));
  // field 22 = 032 is left-aligned BCD (03 20), field 60's 11 digits carry a trailing 0 nibble
  t.match(message.toString('hex'), /000002032000/);
  t.match(message.toString('hex'), /0011220000010000/);
});

t.test('sign-on without MAC has no MAC block', async (t) => {
  const message = bytes(examples.signOnRequest.frame).subarray(13);
  t.throws(() => macBlock(message), { name: 'CodecError', field: 'bitmap' });
});

t.test('the sale listing as printed in examples.md (stray byte in field 59) is not read silently', async (t) => {
  const printed = bytes(examples.saleRequest.frame.replace('3738390011', '373839300011'));
  const s = new FrameSplitter(BOX_LAYOUT);
  const [payload] = s.push(printed);
  t.equal(s.buffered, 1, 'one byte beyond the declared length is left over');
  t.throws(() => codec.decode(parseFrame(payload, BOX_LAYOUT).message), { name: 'CodecError', field: 60 });
});
