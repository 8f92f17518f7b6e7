// fast-check generators shared by the codec's property tests: valid messages derived from a spec's
// field table, and byte-level mutations of their encodings.
import fc from 'fast-check';
import type { FieldDef, IsoMessage, Spec } from '../../../src/iso8583/index.js';

const chars = (s: string) => fc.constantFrom(...s.split(''));
const DIGITS = '0123456789';
const ALNUM = `${DIGITS}ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz`;
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
const SPECIALS = ' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const HIGH = Array.from({ length: 128 }, (_, i) => String.fromCharCode(0x80 + i)).join('');

function text(alphabet: string, min: number, max: number) {
  return fc.array(chars(alphabet), { minLength: min, maxLength: max }).map((a) => a.join(''));
}

export function fieldValue(def: FieldDef): fc.Arbitrary<string> {
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

export function message(spec: Spec): fc.Arbitrary<IsoMessage> {
  const entries = Object.entries(spec.fields).map(([no, def]) => [no, fieldValue(def)] as const);
  const record = Object.fromEntries(entries) as Record<string, fc.Arbitrary<string>>;
  return fc.record({
    mti: text(DIGITS, 4, 4),
    fields: fc.record(record, { requiredKeys: [] }),
  }) as fc.Arbitrary<IsoMessage>;
}

export interface Mutation {
  at: number;
  kind: 'flip' | 'truncate' | 'insert' | 'delete';
  byte: number;
}

export const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('flip', 'truncate', 'insert', 'delete'),
  byte: fc.integer({ min: 0, max: 255 }),
});

export function mutate(bytes: Buffer, muts: readonly Mutation[]): Buffer {
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
