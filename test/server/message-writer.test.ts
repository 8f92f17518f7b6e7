// MessageWriter: a MACed response encodes to the same bytes whether its fields object is handed
// over (placeholder set in place) or copied, a caller that keeps its object finds it untouched, and
// the bytes are queued on the connection at once when the MAC is made on the event loop.
import t from 'tap';
import { createCryptoService } from '../../src/crypto/service.js';
import { BOX_LAYOUT, codecFor, type IsoMessage, macBlock, macOf, parseFrame } from '../../src/iso8583/index.js';
import type { BoxConnection } from '../../src/server/connection.js';
import { MessageWriter } from '../../src/server/message-writer.js';

const LMK = Buffer.alloc(32, 0x5a);
const codec = codecFor('cups-pos');

function fakeConnection() {
  const frames: Buffer[] = [];
  const conn = { listener: { layout: BOX_LAYOUT }, send: (f: Buffer) => void frames.push(f) };
  return { frames, conn: conn as unknown as BoxConnection };
}

const response = (): IsoMessage => ({
  mti: '0210',
  fields: {
    3: '000000',
    4: '000000001234',
    11: '000123',
    12: '222534',
    13: '1125',
    37: '329000000001',
    39: '00',
    41: '00000001',
    42: '898000000000001',
  },
});

t.test('handed over or copied: the same bytes and MAC; a kept object is left alone', async (t) => {
  const crypto = createCryptoService({ mode: 'inline', lmk: LMK });
  t.teardown(() => crypto.close());
  const mak = await crypto.importKey('0123456789ABCDEF');
  const mac = { alg: 'cups-ecb' as const, key: { kind: 'session' as const, mak } };
  const writer = new MessageWriter(crypto);

  const kept = response();
  const a = fakeConnection();
  const copied = writer.send(a.conn, kept, { mac });
  t.ok(Buffer.isBuffer(copied), 'no promise: the MAC is made on this stack');
  t.equal(a.frames.length, 1, 'queued at once');
  t.same(kept, response(), 'the caller’s object is untouched');

  const handed = response();
  const b = fakeConnection();
  const inPlace = writer.send(b.conn, handed, { mac, fieldsHandedOver: true });
  t.same(inPlace, copied, 'same bytes');
  t.same(b.frames, a.frames, 'same frame');
  const expected = await crypto.generateMac('cups-ecb', mac.key, macBlock(copied as Buffer));
  t.same(macOf(copied as Buffer), expected, 'field 64 is the MAC of the block');
  t.same(codec.decode(parseFrame(b.frames[0].subarray(2), BOX_LAYOUT).message).fields[39], '00');

  const withoutMac = writer.send(fakeConnection().conn, {
    mti: '0210',
    fields: { ...response().fields, 39: '05', 64: 'X' },
  });
  t.equal(codec.decode(withoutMac as Buffer).fields[64], undefined, 'no field 64 without a MAC');
});
