// The stored answer's bytes are kept with request records (memory and Redis) and read back by any
// boxfep version: the direct encoder must write exactly what msgpackr's default `pack` writes, for
// every shape it takes on, and hand the rest to msgpackr.
import fc from 'fast-check';
import { pack, unpack } from 'msgpackr';
import t from 'tap';
import { decodeResult, encodeResult } from '../../src/flows/stored-answer.js';
import type { TransactionResult } from '../../src/server/dispatcher.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const msgpackr = (r: TransactionResult) => pack({ rc: r.rc, fields: r.fields ?? {}, omit: r.omit ?? [] });

t.test('golden bytes: an approved sale, and omitted fields past 127', async (t) => {
  // Written by msgpackr 1.x when this encoder was introduced; a change here breaks stored records.
  t.equal(
    hex(encodeResult({ rc: '00', fields: { 37: '341000152571', 39: '00', 4: '000000000120' } })),
    'de0003a27263a23030a66669656c6473de0003a134ac303030303030303030313230a23337ac333431303030313532353731a23339a23030a46f6d697490',
  );
  t.equal(
    hex(encodeResult({ rc: '00', omit: [128, 5, 200, 64] })),
    'de0003a27263a23030a66669656c6473de0000a46f6d697494cc8005ccc840',
  );
});

// Strings of every UTF-16 code unit (lone surrogates included) and of lengths around each header
// boundary: fixstr < 32 bytes, str 8 < 256, str 16 < 65,536.
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom(30, 31, 32, 33, 254, 255, 256, 257).map((n) => 'x'.repeat(n)),
  fc.constantFrom(10, 11, 85, 86).map((n) => 'é中'.repeat(n)),
);
const fieldNumber = fc.integer({ min: 1, max: 128 }).map(String);
const result: fc.Arbitrary<TransactionResult> = fc.record(
  {
    rc: text,
    fields: fc.dictionary(fieldNumber, text, { maxKeys: 20 }),
    omit: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 18 }),
  },
  { requiredKeys: ['rc'] },
);

t.test('byte for byte what msgpackr writes, and decoded back to the same answer', async (t) => {
  fc.assert(
    fc.property(result, (r) => {
      const bytes = encodeResult(r);
      if (hex(bytes) !== hex(msgpackr(r))) return false;
      const back = decodeResult(bytes);
      const omit = r.omit ?? [];
      return (
        back.rc === r.rc &&
        JSON.stringify(back.fields) === JSON.stringify(unpack(msgpackr(r)).fields) &&
        JSON.stringify(back.omit ?? []) === JSON.stringify(omit)
      );
    }),
    { numRuns: 2_000 },
  );
  t.pass('2,000 random answers');
});

t.test('shapes the encoder does not write itself go to msgpackr, with the same bytes', async (t) => {
  const odd = [
    { rc: '00', fields: { 39: 7 as unknown as string } }, // a number where a string belongs
    { rc: '00', fields: { 62: undefined as unknown as string } },
    { rc: '00', omit: [256, 1000] }, // above uint 8
    { rc: '00', omit: [-1] },
    { rc: '00', omit: Array.from({ length: 20 }, (_, i) => i) }, // array 16
    { rc: '00', fields: Object.assign(Object.create({ inherited: 'x' }), { 39: '00' }) },
    { rc: '00', fields: { 63: 'y'.repeat(70_000) } }, // str 32
  ] as TransactionResult[];
  for (const r of odd) t.equal(hex(encodeResult(r)), hex(msgpackr(r)), JSON.stringify(r).slice(0, 60));
});
