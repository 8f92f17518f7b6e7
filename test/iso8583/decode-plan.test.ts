// The fast decode plan against the reference path (composed field codecs): same messages, same
// errors, and the fast path really takes every valid message (no silent fallback).
import fc from 'fast-check';
import t from 'tap';
import { Codec, CodecError, getSpec, type IsoMessage, SPEC_NAMES } from '../../src/iso8583/index.js';
import { message, mutate, mutation } from './helpers/arbitraries.js';

/** A codec whose reference decodes are counted. */
function countingCodec(name: (typeof SPEC_NAMES)[number]) {
  const codec = new Codec(getSpec(name));
  const reference = codec.decodeReference.bind(codec);
  const calls = { n: 0 };
  codec.decodeReference = (bytes: Buffer) => {
    calls.n++;
    return reference(bytes);
  };
  return { codec, reference, calls };
}

type Outcome = { ok: string } | { error: string; field: unknown; offset: number; reason: string };

function outcome(run: () => IsoMessage): Outcome {
  try {
    const m = run();
    // key order, value types and the plain-object shape all count
    if (Object.getPrototypeOf(m.fields) !== Object.prototype) return { ok: 'fields is not a plain object' };
    return { ok: JSON.stringify(m) };
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
    return { error: err.message, field: err.field, offset: err.offset, reason: err.reason };
  }
}

for (const name of SPEC_NAMES) {
  const spec = getSpec(name);

  t.test(`${name}: valid messages take the fast path and equal the reference decode`, async (t) => {
    const { codec, reference, calls } = countingCodec(name);
    fc.assert(
      fc.property(message(spec), (msg) => {
        const bytes = codec.encode(msg);
        const fast = codec.decode(bytes);
        return (
          calls.n === 0 &&
          JSON.stringify(fast) === JSON.stringify(reference(bytes)) &&
          JSON.stringify(fast) === JSON.stringify(msg)
        );
      }),
      { numRuns: 400 },
    );
    t.equal(calls.n, 0, 'no valid message fell back to the reference path');
  });

  t.test(`${name}: mutated encodings give the same message or the same CodecError on both paths`, async (t) => {
    const { codec, reference } = countingCodec(name);
    const sameOutcome = (b: Buffer) =>
      JSON.stringify(outcome(() => codec.decode(b))) === JSON.stringify(outcome(() => reference(b)));
    fc.assert(
      fc.property(message(spec), fc.array(mutation, { minLength: 1, maxLength: 4 }), (msg, muts) => {
        const b = mutate(codec.encode(msg), muts);
        return sameOutcome(b);
      }),
      { numRuns: 1500 },
    );
    t.pass('1500 inputs agreed');
  });

  t.test(`${name}: random bytes give the same outcome on both paths`, async (t) => {
    const { codec, reference } = countingCodec(name);
    const sameOutcome = (b: Buffer) =>
      JSON.stringify(outcome(() => codec.decode(b))) === JSON.stringify(outcome(() => reference(b)));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (raw) => {
        const b = Buffer.from(raw);
        return sameOutcome(b);
      }),
      { numRuns: 1500 },
    );
    t.pass('1500 inputs agreed');
  });
}

t.test('decoded fields objects are independent of each other and of the per-bitmap cache', async (t) => {
  const codec = new Codec(getSpec('cups-pos'));
  const msg: IsoMessage = { mti: '0200', fields: { 3: '000000', 11: '000123', 41: 'TERM0001' } };
  const bytes = codec.encode(msg);
  const first = codec.decode(bytes);
  first.fields[3] = 'changed';
  (first.fields as Record<number, string>)[4] = 'added';
  delete (first.fields as Record<number, string | undefined>)[41];
  // 20 other bitmaps, more than the cache holds, then the first one again
  for (let n = 0; n < 20; n++) {
    const fields: Record<number, string> = { 11: String(n).padStart(6, '0') };
    if (n % 2) fields[41] = 'T'.repeat(8);
    if (n % 3) fields[4] = '1'.padStart(12, '0');
    if (n % 5) fields[49] = '156';
    if (n % 7) fields[37] = 'R'.repeat(12);
    const other: IsoMessage = { mti: '0200', fields };
    t.same(codec.decode(codec.encode(other)), other);
  }
  const again = codec.decode(bytes);
  t.same(again, msg);
  // a later decode with the same bitmap leaves an earlier result alone
  const later = codec.decode(codec.encode({ mti: '0210', fields: { 3: '999999', 11: '000999', 41: 'OTHER001' } }));
  t.same(again, msg);
  t.same(later.fields, { 3: '999999', 11: '000999', 41: 'OTHER001' });
  t.same(Object.keys(again.fields), ['3', '11', '41']);
  t.not(again.fields, first.fields);
});

t.test(
  'iso87ascii: lowercase hex, signed amounts, empty LL values and a secondary bitmap take the fast path',
  async (t) => {
    const { codec, reference, calls } = countingCodec('iso87ascii');
    const msg: IsoMessage = {
      mti: '0200',
      fields: { 3: '000000', 28: 'C00000150', 32: '', 52: '0011223344AABBCC', 70: '301' },
    };
    const text = codec.encode(msg).toString('latin1');
    t.match(text, /^0200[0-9A-F]{32}/, 'primary and secondary bitmap as hex');
    // lowercase the bitmaps and field 52, as some hosts send them
    const lower = text.slice(0, 36).toLowerCase() + text.slice(36).replace('0011223344AABBCC', '0011223344aabbcc');
    t.not(lower, text);
    const wire = Buffer.from(lower, 'latin1');
    t.same(codec.decode(wire), msg);
    t.equal(calls.n, 0, 'decoded by the fast path');
    t.same(reference(wire), msg);
  },
);

t.test('the fast plan keeps none of a decoded message’s values in its scratch slots', async (t) => {
  const codec = new Codec(getSpec('cups-pos'));
  const pan = '6225880123456789';
  const long: IsoMessage = {
    mti: '0200',
    fields: { 2: pan, 3: '000000', 4: '000000000100', 11: '000123', 41: 'T0000001' },
  };
  const short: IsoMessage = { mti: '0820', fields: { 11: '000124', 41: 'T0000001' } };
  t.same(codec.decode(codec.encode(long)).fields[2], pan);
  t.same(codec.decode(codec.encode(short)).fields[11], '000124');
  // The plan is the codec's own (not part of its API): looked at here only for what it holds.
  const scratch = (codec as unknown as { plan: { values: string[] } }).plan.values;
  t.ok(Array.isArray(scratch) && scratch.length > 0, 'the scratch slots are where the test looks');
  t.same(
    scratch.filter((v) => v !== ''),
    [],
    'no value of either message held, the longer earlier one included',
  );
});
