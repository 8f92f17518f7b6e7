// A request encoded straight into its frame, as the UnionPay link sends it (Codec.encodeNumberedAt
// leaving room for the head, writeFrameHead filling it), against a frame put together piece by piece
// here: the length prefix, the TPDU, the header and the message concatenated. buildFrame, which now
// writes its head the same way, is held to the same reference. The same bytes, or the same error.
import fc from 'fast-check';
import t from 'tap';
import {
  BOX_LAYOUT,
  buildFrame,
  Codec,
  FrameError,
  type FrameLayout,
  getSpec,
  HEADER_BYTES,
  replyHeadBytes,
  SPEC_NAMES,
  TPDU_BYTES,
  writeFrameHead,
} from '../../src/iso8583/index.js';
import { message } from './helpers/arbitraries.js';
import { framePart, layouts, looseMessages, outcome } from './helpers/frames.js';

function part(name: string, size: number, value: Buffer | undefined): Buffer {
  if (value === undefined || value.length !== size)
    throw new FrameError(
      'bad-length',
      `${name} must be ${size} bytes, got ${value === undefined ? 'none' : value.length}`,
    );
  return value;
}

/** The frame as box-protocol.md §1 draws it, one piece after another. */
function referenceFrame(msg: Buffer, layout: FrameLayout, tpdu?: Buffer, header?: Buffer): Buffer {
  const pieces: Buffer[] = [];
  if (layout.tpdu) pieces.push(part('TPDU', TPDU_BYTES, tpdu));
  if (layout.header) pieces.push(part('header', HEADER_BYTES, header));
  const payload = Buffer.concat([...pieces, msg]);
  const limit = Math.min(layout.maxFrameBytes, layout.length === 'binary2' ? 0xffff : 9999);
  if (payload.length > limit) throw new FrameError('too-long', `frame length ${payload.length} exceeds max ${limit}`);
  const prefix =
    layout.length === 'binary2'
      ? Buffer.from([payload.length >> 8, payload.length & 0xff])
      : Buffer.from(String(payload.length).padStart(4, '0'), 'latin1');
  return Buffer.concat([prefix, payload]);
}

// 48 bytes: some messages do not fit (the too-long error).
const layoutArb = layouts([48, 4096, 60000]);
const looseMessage = looseMessages(['0200', '0400', '0820']);

for (const name of SPEC_NAMES) {
  const codec = new Codec(getSpec(name));

  t.test(`${name}: encodeNumberedAt puts encodeNumbered's bytes or error after the room`, async () => {
    fc.assert(
      fc.property(fc.oneof(message(codec.spec), looseMessage), fc.integer({ min: 0, max: 15 }), (msg, room) => {
        const old = outcome(() => codec.encodeNumbered(msg));
        const now = outcome(() => codec.encodeNumberedAt(room, msg).subarray(room));
        if (now !== old) throw new Error(`${JSON.stringify(msg)}: ${now} ≠ ${old}`);
      }),
      { numRuns: 1000 },
    );
  });

  t.test(`${name}: writeFrameHead and buildFrame give the frame as drawn, or its error`, async (t) => {
    const seen = { bytes: 0, frameErrors: 0 };
    fc.assert(
      fc.property(message(codec.spec), layoutArb, framePart(5), framePart(6), (msg, layout, tpdu, header) => {
        const encoded = codec.encode(msg);
        const want = outcome(() => referenceFrame(encoded, layout, tpdu, header));
        const room = replyHeadBytes(layout);
        const inPlace = outcome(() => writeFrameHead(codec.encodeAt(room, msg), layout, tpdu, header));
        const built = outcome(() => buildFrame({ tpdu, header, message: encoded }, layout));
        if (inPlace !== want || built !== want) throw new Error(`${want}: in place ${inPlace}, built ${built}`);
        if (want.includes(' ')) seen.frameErrors++;
        else seen.bytes++;
      }),
      { numRuns: 1000 },
    );
    t.ok(seen.bytes > 100 && seen.frameErrors > 100, JSON.stringify(seen));
  });
}

t.test('writeFrameHead: nothing written when the TPDU, header or length is refused', async (t) => {
  const codec = new Codec(getSpec('cups-pos'));
  const room = replyHeadBytes(BOX_LAYOUT);
  const framed = codec.encodeNumberedAt(room, { mti: '0820', fields: { 11: '000001', 41: '12345678' } });
  framed.fill(0xee, 0, room);
  const untouched = Buffer.from(framed);
  const tpdu = Buffer.from('6000030000', 'hex');
  const header = Buffer.from('603100000000', 'hex');
  t.throws(() => writeFrameHead(framed, BOX_LAYOUT, tpdu.subarray(1), header), /TPDU must be 5 bytes/);
  t.throws(() => writeFrameHead(framed, BOX_LAYOUT, tpdu, undefined), /header must be 6 bytes, got none/);
  t.throws(() => writeFrameHead(framed, { ...BOX_LAYOUT, maxFrameBytes: 10 }, tpdu, header), /exceeds max 10/);
  t.same(framed, untouched, 'the room is as it was');
  const frame = writeFrameHead(framed, BOX_LAYOUT, tpdu, header);
  t.equal(frame, framed, 'the same buffer, head written');
  t.same(frame.subarray(0, room), Buffer.concat([Buffer.from([0, frame.length - 2]), tpdu, header]));
});
