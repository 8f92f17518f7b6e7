// MessageWriter: a MACed response encodes to the same bytes whether its fields object is handed
// over (placeholder set in place) or copied, a caller that keeps its object finds it untouched, and
// the bytes are queued on the connection at once when the MAC is made on the event loop. The frame,
// encoded straight into one buffer, is byte for byte the old composition's (encode, MAC over the
// message, buildReplyFrame), with the MAC made on this stack or awaited, and fails as it did.
import fc from 'fast-check';
import t from 'tap';
import { type CryptoService, createCryptoService, type MacAlgorithm } from '../../src/crypto/service.js';
import {
  BOX_LAYOUT,
  buildReplyFrame,
  codecFor,
  type FrameLayout,
  type IsoMessage,
  macBlock,
  macOf,
  parseFrame,
  setMac,
} from '../../src/iso8583/index.js';
import type { BoxConnection } from '../../src/server/connection.js';
import { MessageWriter } from '../../src/server/message-writer.js';
import { message as randomMessage } from '../iso8583/helpers/arbitraries.js';

const LMK = Buffer.alloc(32, 0x5a);
const codec = codecFor('cups-pos');
const ASCII_BARE: FrameLayout = { length: 'ascii4', tpdu: false, header: false, maxFrameBytes: 4096 };

function fakeConnection(layout: FrameLayout = BOX_LAYOUT) {
  const frames: Buffer[] = [];
  const conn = {
    listener: { layout },
    send: (f: Buffer) => void frames.push(f),
    lastTpdu: Buffer.from('6000120034', 'hex'),
    lastHeader: Buffer.from('603112000000', 'hex'),
  };
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

/** The message of a reply frame of `layout`. */
const messageOf = (frame: Buffer, layout: FrameLayout = BOX_LAYOUT) =>
  parseFrame(frame.subarray(layout.length === 'binary2' ? 2 : 4), layout).message;

/** The crypto service without its immediate MACs: every MAC is awaited (as from the worker pool). */
function awaitedOnly(crypto: CryptoService, delayMs = 0): CryptoService {
  return {
    generateMac: async (alg: MacAlgorithm, key: never, data: Buffer) => {
      const mac = await crypto.generateMac(alg, key, data);
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      return mac;
    },
  } as unknown as CryptoService;
}

/** What the writer did before it encoded into the frame: encode, MAC the message, buildReplyFrame. */
async function oldFrame(
  crypto: CryptoService,
  msg: IsoMessage,
  layout: FrameLayout,
  tpdu: Buffer | undefined,
  header: Buffer | undefined,
  requirement: number,
  mac?: { alg: MacAlgorithm; key: never },
): Promise<Buffer> {
  let encoded: Buffer;
  if (mac) {
    encoded = codec.encode({ mti: msg.mti, fields: { ...msg.fields, 64: '0000000000000000' } });
    setMac(encoded, await crypto.generateMac(mac.alg, mac.key, macBlock(encoded)));
  } else {
    const fields = { ...msg.fields };
    delete fields[64];
    encoded = codec.encode({ mti: msg.mti, fields });
  }
  return buildReplyFrame(encoded, layout, tpdu, header, requirement);
}

async function outcome(run: () => Buffer | Promise<Buffer>): Promise<string> {
  try {
    return (await run()).toString('hex');
  } catch (err) {
    return `${(err as Error).constructor.name}: ${(err as Error).message}`;
  }
}

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
  t.equal(a.frames[0], copied, 'the frame queued is the one returned');
  t.same(kept, response(), 'the caller’s object is untouched');

  const handed = response();
  const b = fakeConnection();
  const inPlace = writer.send(b.conn, handed, { mac, fieldsHandedOver: true });
  t.same(inPlace, copied, 'same bytes');
  t.same(b.frames, a.frames, 'same frame');
  const message = messageOf(b.frames[0]);
  const expected = await crypto.generateMac('cups-ecb', mac.key, macBlock(message));
  t.same(macOf(message), expected, 'field 64 is the MAC of the message’s block, not of the head');
  t.same(codec.decode(message).fields[39], '00');

  const withoutMac = writer.send(fakeConnection().conn, {
    mti: '0210',
    fields: { ...response().fields, 39: '05', 64: 'X' },
  });
  t.equal(codec.decode(messageOf(withoutMac as Buffer)).fields[64], undefined, 'no field 64 without a MAC');
});

t.test('encode: the MACed message as a buffer of the caller’s own, not a view of the reply slab', async (t) => {
  const crypto = createCryptoService({ mode: 'inline', lmk: LMK });
  t.teardown(() => crypto.close());
  const mak = await crypto.importKey('0123456789ABCDEF');
  const mac = { alg: 'cups-ecb' as const, key: { kind: 'session' as const, mak } };
  const writer = new MessageWriter(crypto);
  const bytes = await writer.encode(response(), mac);
  const sent = writer.send(fakeConnection().conn, response(), { mac }) as Buffer;
  t.same(bytes, messageOf(sent), 'the bytes a reply frame carries');
  t.not(bytes.buffer, sent.buffer, 'not in the slab the frames are written into');
  t.ok(bytes.buffer.byteLength < 16 * 1024, `held alone it keeps ${bytes.buffer.byteLength} B alive, not a slab`);
});

t.test('the frame is the old composition’s, byte for byte: no MAC, a MAC made at once, a MAC awaited', async (t) => {
  const crypto = createCryptoService({ mode: 'inline', lmk: LMK });
  t.teardown(() => crypto.close());
  const mak = await crypto.importKey('0123456789ABCDEF');
  const writers = { immediate: new MessageWriter(crypto), awaited: new MessageWriter(awaitedOnly(crypto)) };
  const tpdu = fc.constantFrom(undefined, Buffer.from('6000030000', 'hex'), Buffer.from('60ABCD1234', 'hex'));
  const header = fc.constantFrom(undefined, Buffer.from('603100000000', 'hex'), Buffer.from('6031F9123456', 'hex'));
  // Responses of any valid cups-pos content; field 64 is the writer's (set with a MAC, dropped without).
  const msgs = randomMessage(codec.spec).map((m) => ({ mti: m.mti, fields: { ...m.fields, 39: '00' } }));
  let immediate = 0;
  let awaited = 0;
  await fc.assert(
    fc.asyncProperty(
      msgs,
      fc.constantFrom(BOX_LAYOUT, ASCII_BARE),
      tpdu,
      header,
      fc.constantFrom(0, 3),
      fc.constantFrom('none', 'cups-ecb', 'x9.19'),
      fc.constantFrom<keyof typeof writers>('immediate', 'awaited'),
      fc.boolean(),
      async (msg, layout, tpdu, header, requirement, alg, which, numbered) => {
        const mac = alg === 'none' ? undefined : { alg: alg as MacAlgorithm, key: { kind: 'session', mak } as never };
        const { conn, frames } = fakeConnection(layout);
        const c = conn as unknown as { lastTpdu: Buffer; lastHeader: Buffer };
        const expected = await outcome(() =>
          oldFrame(crypto, msg, layout, tpdu ?? c.lastTpdu, header ?? c.lastHeader, requirement, mac),
        );
        const fields = { ...msg.fields };
        const actual = await outcome(() => {
          const sent = writers[which].send(
            conn,
            { mti: msg.mti, fields },
            {
              tpdu,
              header,
              requirement,
              mac,
              fieldsHandedOver: true,
              fieldsNumbered: numbered,
            },
          );
          if (sent instanceof Promise) awaited++;
          else immediate++;
          return sent;
        });
        if (actual !== expected) throw new Error(`${alg} ${which}: ${actual} ≠ ${expected}`);
        const queued = frames.map((f) => f.toString('hex'));
        if (expected.includes(':') ? queued.length !== 0 : queued.join() !== expected)
          throw new Error(`queued ${queued.join()} for ${expected}`);
      },
    ),
    { numRuns: 600 },
  );
  t.ok(immediate > 0 && awaited > 0, `both paths taken (${immediate} at once, ${awaited} awaited)`);
});

t.test('a MAC awaited: the frame is not disturbed by replies encoded meanwhile', async (t) => {
  const crypto = createCryptoService({ mode: 'inline', lmk: LMK });
  t.teardown(() => crypto.close());
  const mak = await crypto.importKey('0123456789ABCDEF');
  const mac = { alg: 'cups-ecb' as const, key: { kind: 'session' as const, mak } };
  const slow = new MessageWriter(awaitedOnly(crypto, 20));
  const fast = new MessageWriter(crypto);
  const { conn, frames } = fakeConnection();
  const first = slow.send(conn, response(), { mac });
  t.ok(first instanceof Promise, 'the MAC is awaited');
  // Other replies go through the codec's scratch buffer while the first one's MAC is computed.
  for (let i = 0; i < 5; i++) {
    const other = response();
    other.fields[11] = `00090${i}`;
    other.fields[4] = '999999999999';
    fast.send(conn, other, { mac });
  }
  const frame = await first;
  t.equal(frames.at(-1), frame, 'queued after the MAC');
  const expected = await oldFrame(crypto, response(), BOX_LAYOUT, conn.lastTpdu, conn.lastHeader, 0, mac as never);
  t.same(frame, expected, 'the old composition’s bytes');
});

t.test('bad TPDU, header or requirement: the old errors, nothing queued', async (t) => {
  const crypto = createCryptoService({ mode: 'inline', lmk: LMK });
  t.teardown(() => crypto.close());
  const mak = await crypto.importKey('0123456789ABCDEF');
  const mac = { alg: 'cups-ecb' as const, key: { kind: 'session' as const, mak } };
  const cases: [string, { tpdu?: Buffer; header?: Buffer; requirement?: number }][] = [
    ['short TPDU', { tpdu: Buffer.alloc(4) }],
    ['long header', { header: Buffer.alloc(7) }],
    ['requirement 10', { requirement: 10 }],
  ];
  for (const [name, opts] of cases) {
    for (const [which, writer] of [
      ['immediate', new MessageWriter(crypto)],
      ['awaited', new MessageWriter(awaitedOnly(crypto))],
    ] as const) {
      const { conn, frames } = fakeConnection();
      const tpdu = opts.tpdu ?? conn.lastTpdu;
      const header = opts.header ?? conn.lastHeader;
      const expected = await outcome(() =>
        oldFrame(crypto, response(), BOX_LAYOUT, tpdu, header, opts.requirement ?? 0, mac as never),
      );
      const actual = await outcome(() => writer.send(conn, response(), { ...opts, mac }));
      t.match(expected, /^(FrameError|RangeError): /, `${name}: the old path refuses it`);
      t.equal(actual, expected, `${name}, MAC ${which}: the same error`);
      t.equal(frames.length, 0, `${name}, MAC ${which}: nothing queued`);
    }
  }
  const tooLong = fakeConnection({ ...BOX_LAYOUT, maxFrameBytes: 40 });
  const expected = await outcome(() =>
    oldFrame(crypto, response(), tooLong.conn.listener.layout, tooLong.conn.lastTpdu, tooLong.conn.lastHeader, 0),
  );
  t.equal(await outcome(() => new MessageWriter(crypto).send(tooLong.conn, response())), expected, 'too long');
  t.match(expected, /^FrameError: frame length \d+ exceeds max 40/);
});
