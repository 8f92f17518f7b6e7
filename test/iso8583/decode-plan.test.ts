// The fast decode plan against the reference path (composed field codecs): same messages, same
// errors, and the fast path really takes every valid message (no silent fallback).
import fc from 'fast-check';
import t from 'tap';
import {
  Codec,
  CodecError,
  type FieldDef,
  getSpec,
  type IsoMessage,
  SPEC_NAMES,
  type Spec,
} from '../../src/iso8583/index.js';

// Valid messages of a spec, derived from its field table (as in property.test.ts), and mutations.
const chars = (s: string) => fc.constantFrom(...s.split(''));
const DIGITS = '0123456789';
const ALNUM = `${DIGITS}ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz`;
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
const SPECIALS = ' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const HIGH = Array.from({ length: 128 }, (_, i) => String.fromCharCode(0x80 + i)).join('');

function text(alphabet: string, min: number, max: number) {
  return fc.array(chars(alphabet), { minLength: min, maxLength: max }).map((a) => a.join(''));
}

function fieldValue(def: FieldDef): fc.Arbitrary<string> {
  const fixed = def.lengthType === 'fixed';
  const len = fixed
    ? fc.constant(def.length)
    : fc.oneof(fc.integer({ min: 0, max: Math.min(def.length, 30) }), fc.constant(def.length));
  return len.chain((n) => {
    switch (def.format) {
      case 'n':
        return text(DIGITS, n, n);
      case 'z':
        return text(`${DIGITS}=`, n, n);
      case 'b':
        return fc.uint8Array({ minLength: n, maxLength: n }).map((b) => Buffer.from(b).toString('hex').toUpperCase());
      case 'xn':
        return fc.tuple(chars('CD'), text(DIGITS, n - 1, n - 1)).map(([s, d]) => s + d);
      case 'a':
        return text(`${ALNUM.slice(10)} `, n, n);
      case 'an':
        return text(`${ALNUM} `, n, n);
      case 'ns':
        return text(DIGITS + SPECIALS, n, n);
      default:
        return text(def.encoding === 'ascii' && def.units === 'bytes' ? PRINTABLE + HIGH : PRINTABLE, n, n);
    }
  });
}

function message(spec: Spec): fc.Arbitrary<IsoMessage> {
  const entries = Object.entries(spec.fields).map(([no, def]) => [no, fieldValue(def)] as const);
  const record = Object.fromEntries(entries) as Record<string, fc.Arbitrary<string>>;
  return fc.record({
    mti: text(DIGITS, 4, 4),
    fields: fc.record(record, { requiredKeys: [] }),
  }) as fc.Arbitrary<IsoMessage>;
}

interface Mutation {
  at: number;
  kind: 'flip' | 'truncate' | 'insert' | 'delete';
  byte: number;
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('flip', 'truncate', 'insert', 'delete'),
  byte: fc.integer({ min: 0, max: 255 }),
});

function mutate(bytes: Buffer, muts: readonly Mutation[]): Buffer {
  let b = bytes;
  for (const m of muts) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    if (m.kind === 'flip') b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at + 1)]);
    else if (m.kind === 'truncate') b = b.subarray(0, at);
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
  }
  return b;
}

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
