// The fast encode path (encode-plan.ts) against the reference path (composed field codecs): the same
// bytes or the very same CodecError for valid, short, oddly cased and invalid values, and valid
// messages never fall back to the reference codecs.
import fc from 'fast-check';
import t from 'tap';
import { Codec, CodecError, type FieldDef, getSpec, type IsoMessage, SPEC_NAMES } from '../../src/iso8583/index.js';
import { fieldValue, message } from './helpers/arbitraries.js';

/** A codec whose reference field encodes are counted (signed `xn` amounts always take that path). */
function countingCodec(name: (typeof SPEC_NAMES)[number]) {
  const codec = new Codec(getSpec(name));
  const calls = { n: 0 };
  for (const key of Object.keys(codec.spec.fields)) {
    const fieldCodec = codec.field(Number(key))!;
    if (fieldCodec.def.format === 'xn') continue;
    const reference = fieldCodec.encode.bind(fieldCodec);
    fieldCodec.encode = (value, out, at) => {
      calls.n++;
      return reference(value, out, at);
    };
  }
  return { codec, calls };
}

type Outcome = { hex: string } | { error: string; field: unknown; offset: number; reason: string };

function outcome(run: () => Buffer): Outcome {
  try {
    return { hex: run().toString('hex') };
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
    return { error: err.message, field: err.field, offset: err.offset, reason: err.reason };
  }
}

// Characters of every class the formats tell apart, lowercase hex, '=', and one beyond latin1.
const LOOSE = '0123456789abcdefABCDEF=XYZ xy!#~\u00e9\u00ff\u0100\n';

/** A valid value, a short one (padding), or any string of loose characters up to a little past the max. */
function looseValue(def: FieldDef): fc.Arbitrary<string> {
  const max = Math.min(def.length * (def.format === 'b' ? 2 : 1), 40) + 2;
  return fc.oneof(
    fieldValue(def),
    fieldValue(def).map((v) => v.slice(0, Math.max(0, v.length - 1 - (v.length >> 2)))),
    fc.array(fc.constantFrom(...LOOSE.split('')), { maxLength: max }).map((a) => a.join('')),
  );
}

function looseMessage(name: (typeof SPEC_NAMES)[number]): fc.Arbitrary<IsoMessage> {
  const spec = getSpec(name);
  const record = Object.fromEntries(Object.entries(spec.fields).map(([no, def]) => [no, looseValue(def)]));
  return fc.record({
    mti: fc.constant('0200'),
    fields: fc.record(record, { requiredKeys: [] }),
  }) as fc.Arbitrary<IsoMessage>;
}

for (const name of SPEC_NAMES) {
  t.test(`${name}: valid messages take the fast path and encode as the reference does`, async (t) => {
    const { codec, calls } = countingCodec(name);
    const reference = new Codec(getSpec(name));
    fc.assert(
      fc.property(message(getSpec(name)), (msg) => {
        const before = calls.n;
        const fast = codec.encode(msg).toString('hex');
        return calls.n === before && fast === reference.encodeReference(msg).toString('hex');
      }),
      { numRuns: 400 },
    );
    t.equal(calls.n, 0, 'no valid value fell back to the reference codecs');
  });

  t.test(`${name}: short, lowercase and invalid values give the same bytes or the same CodecError`, async (t) => {
    const codec = new Codec(getSpec(name));
    fc.assert(
      fc.property(looseMessage(name), (msg) => {
        const fast = outcome(() => codec.encode(msg));
        const reference = outcome(() => codec.encodeReference(msg));
        return JSON.stringify(fast) === JSON.stringify(reference);
      }),
      { numRuns: 2000 },
    );
    t.pass();
  });
}

t.test('cups-pos: padding, odd BCD alignment and lowercase binary on the fast path', async (t) => {
  const { codec, calls } = countingCodec('cups-pos');
  const msg: IsoMessage = {
    mti: '0200',
    fields: { 2: '6225881234567', 4: '100', 22: '32', 35: '6225=12', 41: 'T1', 52: '0a0b0c0d0e0f1011', 60: '2200000' },
  };
  const fast = codec.encode(msg).toString('hex');
  t.equal(calls.n, 0, 'no fallback');
  t.equal(fast, codec.encodeReference(msg).toString('hex'));
  const expected = [
    '0200',
    '5000040020801010', // bitmap: 2 4 22 35 41 52 60
    '13',
    '62258812345670', // 2: LL 13, left-aligned, pad nibble last
    '000000000100', // 4: zero-padded to 12 digits
    '0320', // 22: '32' → 032, left-aligned
    '07',
    '6225d120', // 35: '=' is the nibble D
    Buffer.from('T1      ').toString('hex'), // 41: space-padded
    '0a0b0c0d0e0f1011', // 52: raw bytes
    '0007',
    '22000000', // 60: LLL 7
  ].join('');
  t.equal(fast, expected);
});

t.test('keys that are not plain field numbers get the same errors as before the fast key check', async (t) => {
  const codec = new Codec(getSpec('cups-pos'));
  const reasonFor = (fields: Record<string, unknown>) => {
    try {
      codec.encode({ mti: '0200', fields } as never);
      return 'encoded';
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      return `${String(err.field)} @${err.offset}: ${err.reason}`;
    }
  };
  t.equal(reasonFor({ '03': '000000' }), 'undefined @2: unknown field key "03"');
  t.equal(reasonFor({ '1e2': 'x' }), 'undefined @2: unknown field key "1e2"');
  t.equal(reasonFor({ abc: 'x' }), 'undefined @2: unknown field key "abc"');
  t.equal(reasonFor({ '-3': 'x' }), '-3 @2: not defined in spec cups-pos');
  t.equal(reasonFor({ 1000: 'x' }), '1000 @2: not defined in spec cups-pos');
  t.equal(reasonFor({ 0: 'x' }), '0 @2: not defined in spec cups-pos');
  t.equal(reasonFor({ 1: 'x' }), '1 @2: the secondary bitmap is set by the codec, not given as a field');
  t.equal(reasonFor({ 3: 3 }), '3 @2: value must be a string, got number');
  t.equal(reasonFor({ abc: undefined, 999: undefined, 3: '000000' }), 'encoded', 'undefined values are skipped');
});

for (const name of SPEC_NAMES) {
  t.test(`${name}: encodeNumbered gives encode's bytes or its very error for numbered fields`, async () => {
    const codec = new Codec(getSpec(name));
    fc.assert(
      fc.property(looseMessage(name), (msg) => {
        const keyed = outcome(() => codec.encode(msg));
        const numbered = outcome(() => codec.encodeNumbered(msg));
        if (JSON.stringify(keyed) !== JSON.stringify(numbered))
          throw new Error(`${JSON.stringify(msg)}: ${JSON.stringify(numbered)} ≠ ${JSON.stringify(keyed)}`);
      }),
      { numRuns: 1000 },
    );
  });
}

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
  t.test(`${name}: encodeNumberedMasked with the set fields' bits gives encodeNumbered's bytes or error`, async () => {
    const codec = new Codec(getSpec(name));
    fc.assert(
      fc.property(looseMessage(name), (msg) => {
        const numbered = outcome(() => codec.encodeNumbered(msg));
        const m = maskOf(msg.fields ?? {});
        const masked = outcome(() => codec.encodeNumberedMasked(msg, m.w0, m.w1));
        if (JSON.stringify(masked) !== JSON.stringify(numbered))
          throw new Error(`${JSON.stringify(msg)}: ${JSON.stringify(masked)} ≠ ${JSON.stringify(numbered)}`);
      }),
      { numRuns: 1000 },
    );
  });
}

for (const name of SPEC_NAMES) {
  t.test(`${name}: encodeNumberedMasked with any more bits than the set fields' gives the same`, async () => {
    const codec = new Codec(getSpec(name));
    fc.assert(
      fc.property(looseMessage(name), fc.integer(), fc.integer(), (msg, more0, more1) => {
        const m = maskOf(msg.fields ?? {});
        const exact = outcome(() => codec.encodeNumberedMasked(msg, m.w0, m.w1));
        const wider = outcome(() => codec.encodeNumberedMasked(msg, m.w0 | more0, m.w1 | more1));
        if (JSON.stringify(wider) !== JSON.stringify(exact))
          throw new Error(`${JSON.stringify(msg)}: ${JSON.stringify(wider)} ≠ ${JSON.stringify(exact)}`);
      }),
      { numRuns: 1000 },
    );
  });
}

t.test('encodeNumberedMasked reads only the slots of the mask (fields above 64 always)', async (t) => {
  const codec = new Codec(getSpec('cups-pos'));
  const fields = { 3: '000000', 11: '000001', 39: '00', 41: '12345678' };
  const only11and41 = codec.encodeNumberedMasked({ mti: '0210', fields }, 0x80000000 >>> 10, 0x80000000 >>> 8);
  t.same(only11and41, codec.encodeNumbered({ mti: '0210', fields: { 11: '000001', 41: '12345678' } }));
  const ascii = new Codec(getSpec('iso87ascii'));
  const high = { 11: '000001', 70: '301' };
  t.same(
    ascii.encodeNumberedMasked({ mti: '0800', fields: high }, 0x80000000 >>> 10, 0),
    ascii.encodeNumbered({ mti: '0800', fields: high }),
    'field 70 read without a bit',
  );
});

t.test('encodeNumbered: the checks of encode for numbered keys, holes and undefined slots', async (t) => {
  const codec = new Codec(getSpec('cups-pos'));
  const reasonFor = (fields: Record<number, unknown>) => {
    try {
      return codec.encodeNumbered({ mti: '0200', fields } as never).toString('hex');
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      return `${String(err.field)} @${err.offset}: ${err.reason}`;
    }
  };
  t.equal(reasonFor({ 1: 'x' }), '1 @2: the secondary bitmap is set by the codec, not given as a field');
  t.equal(reasonFor({ 5: '1' }), '5 @2: not defined in spec cups-pos');
  t.equal(reasonFor({ 3: 3 }), '3 @2: value must be a string, got number');
  const withHoles = { 3: '000000', 11: '000001', 39: '00', 41: undefined, 64: undefined };
  t.equal(reasonFor(withHoles), codec.encode({ mti: '0200', fields: withHoles } as never).toString('hex'));
});
