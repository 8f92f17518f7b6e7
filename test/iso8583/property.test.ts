// Property tests: valid messages round-trip; arbitrary and mutated bytes only ever raise CodecError.
import fc from 'fast-check';
import t from 'tap';
import { CodecError, codecFor, getSpec, SPEC_NAMES } from '../../src/iso8583/index.js';
import { message, mutate, mutation } from './helpers/arbitraries.js';

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
    fc.assert(
      fc.property(message(spec), fc.array(mutation, { minLength: 1, maxLength: 4 }), (msg, muts) => {
        const b = mutate(codec.encode(msg), muts);
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
