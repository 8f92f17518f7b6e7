// Property tests: valid messages round-trip; arbitrary and mutated bytes only ever raise CodecError.
import fc from 'fast-check';
import t from 'tap';
import {
  CodecError,
  codecFor,
  type FieldDef,
  getSpec,
  type IsoMessage,
  SPEC_NAMES,
  type Spec,
} from '../../src/iso8583/index.js';

// Valid messages of a spec, derived from its field table.
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
  // Keep long variable fields short most of the time, but reach the maximum too.
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

function onlyCodecErrors(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch (err) {
    if (err instanceof CodecError && typeof err.offset === 'number' && err.message.includes(`at offset ${err.offset}`))
      return true;
    throw err;
  }
}

for (const name of SPEC_NAMES) {
  const spec = getSpec(name);
  const codec = codecFor(name);

  t.test(`${name}: random valid messages encode and decode to themselves`, async (t) => {
    fc.assert(
      fc.property(message(spec), (msg) => {
        const bytes = codec.encode(msg);
        const back = codec.decode(bytes);
        return JSON.stringify(back) === JSON.stringify(msg) && codec.encode(back).equals(bytes);
      }),
      { numRuns: 500 },
    );
    t.pass('500 messages round-tripped');
  });

  t.test(`${name}: random bytes decode or throw CodecError, never anything else`, async (t) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (raw) => onlyCodecErrors(() => codec.decode(Buffer.from(raw)))),
      { numRuns: 3000 },
    );
    t.pass();
  });

  t.test(`${name}: mutated valid encodings decode or throw CodecError`, async (t) => {
    const mutation = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom('flip', 'truncate', 'insert', 'delete'),
      byte: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(message(spec), fc.array(mutation, { minLength: 1, maxLength: 4 }), (msg, muts) => {
        let b = codec.encode(msg);
        for (const m of muts) {
          const at = b.length === 0 ? 0 : m.at % b.length;
          if (m.kind === 'flip') b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at + 1)]);
          else if (m.kind === 'truncate') b = b.subarray(0, at);
          else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at)]);
          else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
        }
        const partial = codec.decodePartial(b);
        return onlyCodecErrors(() => codec.decode(b)) && partial.fields !== undefined;
      }),
      { numRuns: 2000 },
    );
    t.pass();
  });

  t.test(`${name}: invalid values are refused by encode with CodecError`, async (t) => {
    const anyValue = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));
    const fieldNos = Object.keys(spec.fields).map(Number);
    fc.assert(
      fc.property(fc.constantFrom(...fieldNos), anyValue, fc.string({ maxLength: 6 }), (no, value, mti) =>
        onlyCodecErrors(() => codec.encode({ mti, fields: { [no]: value } })),
      ),
      { numRuns: 3000 },
    );
    t.pass();
  });
}
