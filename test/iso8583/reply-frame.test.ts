// A reply encoded straight into its frame (Codec.encodeAt / encodeNumberedMaskedAt leaving room for
// the head, writeReplyHead filling it) against the old composition: encode into a buffer of its own,
// then buildReplyFrame copying it behind the head. The same bytes, or the very same error, for random
// messages (valid and loose), layouts, TPDUs, headers and requirements.
import fc from 'fast-check';
import t from 'tap';
import {
  BOX_LAYOUT,
  buildReplyFrame,
  Codec,
  getSpec,
  type IsoMessage,
  replyHeadBytes,
  SPEC_NAMES,
  writeReplyHead,
} from '../../src/iso8583/index.js';
import { message } from './helpers/arbitraries.js';
import { framePart, layouts, looseMessages, outcome } from './helpers/frames.js';

const layoutArb = layouts([4096, 60000]);
const requirementArb = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 9 }), weight: 8 },
  { arbitrary: fc.constantFrom(-1, 10, 1.5), weight: 1 },
);
const looseMessage = looseMessages(['0210', '0830', '0630']);

/** Bitmap words with the bit of every key that names a field 1-64 (what a caller that set them knows). */
function maskOf(fields: object): { w0: number; w1: number } {
  const mask = { w0: 0, w1: 0 };
  for (const key of Object.keys(fields)) {
    const no = Number(key);
    if (!Number.isInteger(no) || no < 1 || no > 64) continue;
    if (no <= 32) mask.w0 |= 0x80000000 >>> (no - 1);
    else mask.w1 |= 0x80000000 >>> (no - 33);
  }
  return mask;
}

for (const name of SPEC_NAMES) {
  const codec = new Codec(getSpec(name));
  t.test(`${name}: encodeAt + writeReplyHead gives encode + buildReplyFrame's bytes or error`, async (t) => {
    const seen = { bytes: 0, codecErrors: 0, frameErrors: 0 };
    fc.assert(
      fc.property(
        fc.oneof(message(codec.spec), looseMessage),
        layoutArb,
        framePart(5),
        framePart(6),
        requirementArb,
        (msg, layout, tpdu, header, requirement) => {
          const old = outcome(() => buildReplyFrame(codec.encode(msg), layout, tpdu, header, requirement));
          const room = replyHeadBytes(layout);
          const now = outcome(() => writeReplyHead(codec.encodeAt(room, msg), layout, tpdu, header, requirement));
          if (now !== old) throw new Error(`${JSON.stringify(msg)}: ${now} ≠ ${old}`);
          if (old.startsWith('CodecError')) seen.codecErrors++;
          else if (old.includes(' ')) seen.frameErrors++;
          else seen.bytes++;
        },
      ),
      { numRuns: 1000 },
    );
    t.ok(seen.bytes > 50 && seen.codecErrors > 50 && seen.frameErrors > 50, JSON.stringify(seen));
  });

  t.test(`${name}: encodeNumberedMaskedAt puts encodeNumberedMasked's bytes or error after the room`, async () => {
    fc.assert(
      fc.property(fc.oneof(message(codec.spec), looseMessage), fc.integer({ min: 0, max: 15 }), (msg, room) => {
        const m = maskOf(msg.fields ?? {});
        const old = outcome(() => codec.encodeNumberedMasked(msg, m.w0, m.w1));
        const now = outcome(() => codec.encodeNumberedMaskedAt(room, msg, m.w0, m.w1).subarray(room));
        if (now !== old) throw new Error(`${JSON.stringify(msg)}: ${now} ≠ ${old}`);
      }),
      { numRuns: 1000 },
    );
  });
}

t.test('writeReplyHead: nothing written when the TPDU, header, requirement or length is refused', async (t) => {
  const codec = new Codec(getSpec('cups-pos'));
  const room = replyHeadBytes(BOX_LAYOUT);
  t.equal(room, 2 + 5 + 6);
  const framed = codec.encodeAt(room, { mti: '0830', fields: { 11: '000001', 39: '00', 41: '12345678' } });
  framed.fill(0xee, 0, room);
  const before = Buffer.from(framed);
  const tpdu = Buffer.from('6000030000', 'hex');
  const header = Buffer.from('603100000000', 'hex');
  t.throws(() => writeReplyHead(framed, BOX_LAYOUT, Buffer.alloc(4), header, 0), { name: 'FrameError' });
  t.throws(() => writeReplyHead(framed, BOX_LAYOUT, tpdu, undefined, 0), { name: 'FrameError' });
  t.throws(() => writeReplyHead(framed, BOX_LAYOUT, tpdu, header, 10), RangeError);
  const small = { ...BOX_LAYOUT, maxFrameBytes: framed.length - 3 };
  t.throws(() => writeReplyHead(framed, small, tpdu, header, 0), { name: 'FrameError', reason: 'too-long' });
  t.same(framed, before, 'the buffer is as it was');
  writeReplyHead(framed, BOX_LAYOUT, tpdu, header, 3);
  t.equal(
    framed.subarray(0, room).toString('hex'),
    `${(framed.length - 2).toString(16).padStart(4, '0')}6000000003603103000000`,
  );
});

t.test('messages encoded one after another (across slabs) keep their bytes', async (t) => {
  const codec = new Codec(getSpec('cups-pos'));
  fc.assert(
    fc.property(fc.array(fc.tuple(message(codec.spec), fc.integer({ min: 0, max: 15 })), { maxLength: 60 }), (list) => {
      const taken: [Buffer, IsoMessage, number][] = [];
      for (const [msg, room] of list) taken.push([codec.encodeAt(room, msg), msg, room]);
      for (const [framed, msg, room] of taken) {
        const expected = codec.encode(msg).toString('hex');
        if (framed.subarray(room).toString('hex') !== expected) throw new Error(`${JSON.stringify(msg)} overwritten`);
        if (framed.length !== room + expected.length / 2) throw new Error('the view is not the message');
      }
    }),
    { numRuns: 200 },
  );
  t.pass('every view kept its message');
});
