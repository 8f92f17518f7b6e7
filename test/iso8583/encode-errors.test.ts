// Encoding validates like decoding: bad digits, lengths, missing parts, unknown fields.
import t from 'tap';
import { CodecError, codecFor } from '../../src/iso8583/index.js';

const cups = codecFor('cups-pos');
const ascii = codecFor('iso87ascii');

function errorOf(run: () => unknown): CodecError {
  try {
    run();
  } catch (e) {
    if (e instanceof CodecError) return e;
    throw e;
  }
  throw new Error('expected a CodecError');
}

t.test('field-level validation names the field and the output offset', async (t) => {
  let e = errorOf(() => cups.encode({ mti: '0200', fields: { 3: '000000', 4: '12A4' } }));
  t.equal(e.field, 4);
  t.equal(e.offset, 13, 'after MTI (2), bitmap (8) and field 3 (3)');
  t.match(e.message, /^field 4: not a digit: 'A' at character 2 at offset 13$/);

  e = errorOf(() => cups.encode({ mti: '0200', fields: { 35: `${'1'.repeat(20)}=${'2'.repeat(20)}` } }));
  t.equal(e.field, 35);
  t.match(e.reason, 'length 41 exceeds max 37');

  e = errorOf(() => cups.encode({ mti: '0200', fields: { 41: '123456789' } }));
  t.match(e.reason, 'length 9 exceeds fixed length 8');

  e = errorOf(() => cups.encode({ mti: '0200', fields: { 64: 'ABCD' } }));
  t.match(e.reason, 'length 2 is below fixed length 8', 'binary fields are never padded');

  e = errorOf(() => cups.encode({ mti: '0200', fields: { 62: 'ABC' } }));
  t.match(e.reason, 'even number of hex digits');

  e = errorOf(() => cups.encode({ mti: '0200', fields: { 39: 'A-' } }));
  t.match(e.reason, "not a alphanumeric character: '-'");
});

t.test('message-level validation: MTI, unknown or structural fields, value types', async (t) => {
  t.equal(errorOf(() => cups.encode({ mti: '200', fields: {} })).field, 'mti');
  t.equal(errorOf(() => cups.encode({ mti: '02X0', fields: {} })).field, 'mti');
  t.equal(errorOf(() => cups.encode({ fields: {} } as never)).field, 'mti');
  t.match(errorOf(() => cups.encode({ mti: '0200', fields: { 70: '301' } })).reason, 'not defined in spec cups-pos');
  t.match(errorOf(() => cups.encode({ mti: '0200', fields: { 5: '1' } })).reason, 'not defined in spec cups-pos');
  t.equal(errorOf(() => ascii.encode({ mti: '0800', fields: { 1: '0000000000000000' } })).field, 1);
  t.match(
    errorOf(() => cups.encode({ mti: '0200', fields: { 4: 100 as unknown as string } })).reason,
    'must be a string',
  );
  t.match(
    errorOf(() => cups.encode({ mti: '0200', fields: { '03': '000000' } as never })).reason,
    'unknown field key "03"',
  );
});

t.test('fixed fields are padded: numerics with leading zeros, text with trailing spaces', async (t) => {
  const m = cups.decode(cups.encode({ mti: '0200', fields: { 4: '100', 22: '32', 41: 'T1' } }));
  t.same(m.fields, { 4: '000000000100', 22: '032', 41: 'T1      ' });
});

t.test('iso87ascii writes hex bitmaps, secondary bitmap only when needed, binary as uppercase hex', async (t) => {
  const primary = ascii.encode({ mti: '0800', fields: { 11: '000001', 64: 'a1b2c3d4e5f60718' } });
  t.equal(primary.toString('latin1'), '08000020000000000001000001A1B2C3D4E5F60718');
  const secondary = ascii.encode({ mti: '0800', fields: { 70: '301' } });
  t.equal(secondary.toString('latin1'), '080080000000000000000400000000000000301');
  t.same(ascii.decode(secondary), { mti: '0800', fields: { 70: '301' } });
});
