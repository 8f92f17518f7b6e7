// Field helpers of the box protocol: 59 TLV, 60/61 subfields, 55 BER-TLV; MAC block and identity peek.
import fc from 'fast-check';
import t from 'tap';
import {
  buildBerTlv,
  buildField59,
  buildField60,
  buildField61,
  CodecError,
  codecFor,
  field59Item,
  macBlock,
  parseBerTlv,
  parseField59,
  parseField60,
  parseField61,
  peekIdentity,
  setMac,
} from '../../src/iso8583/index.js';

t.test('field 59 TLV', async (t) => {
  const items = parseField59('A3018134567890123456789');
  t.same([...items], [['A3', '134567890123456789']]);
  const built = buildField59([
    ['A7', 'WX'],
    ['A8', '4200001234'],
    ['Z9', ''],
  ]);
  t.equal(built, 'A7002WXA80104200001234Z9000');
  t.same(Object.fromEntries(parseField59(built)), { A7: 'WX', A8: '4200001234', Z9: '' }, 'unknown tags are kept');
  t.same([...parseField59('')], []);
  t.throws(() => parseField59('A3018123'), { name: 'CodecError', field: 59, offset: 0 });
  t.throws(() => parseField59('A30x1'), { name: 'CodecError', field: 59, offset: 3 });
  t.throws(() => parseField59('A2001xA3'), { name: 'CodecError', field: 59, offset: 6 });
  t.throws(() => parseField59('A2001xA2001y'), { name: 'CodecError', reason: 'tag A2 appears twice' });
  t.throws(() => buildField59([['A', 'x']]), { name: 'CodecError' });
});

/** What parseField59(value).get(tag) gives, or the error it throws (class, message, offset). */
function viaMap(value: string, tag: string): unknown {
  try {
    return parseField59(value).get(tag);
  } catch (err) {
    return err instanceof CodecError ? ['CodecError', err.message, err.offset] : err;
  }
}

function viaScan(value: string, tag: string): unknown {
  try {
    return field59Item(value, tag);
  } catch (err) {
    return err instanceof CodecError ? ['CodecError', err.message, err.offset] : err;
  }
}

t.test('field59Item is parseField59(value).get(tag), errors included', async (t) => {
  t.equal(field59Item('A3018134567890123456789A5004abcd', 'A3'), '134567890123456789');
  t.equal(field59Item('A3018134567890123456789A5004abcd', 'A5'), 'abcd');
  t.equal(field59Item('A3018134567890123456789', 'A5'), undefined);
  t.equal(field59Item('', 'A3'), undefined);
  t.throws(() => field59Item('A2001xA2001y', 'A3'), { name: 'CodecError', reason: 'tag A2 appears twice' });
  // Well-formed fields from a few tags (duplicates included), then the same with random damage.
  const tag = fc.constantFrom('A3', 'A4', 'A5', 'A7', 'Z9', 'A', 'A33');
  const item = fc.tuple(fc.constantFrom('A3', 'A4', 'A5', 'A7', 'Z9'), fc.string({ maxLength: 30 }));
  const field = fc
    .array(item, { maxLength: 5 })
    .map((items) => items.map(([k, v]) => k + String(v.length).padStart(3, '0') + v).join(''));
  const damaged = fc.tuple(field, fc.nat(), fc.string({ maxLength: 3 }), fc.nat(3)).map(([f, at, s, cut]) => {
    const i = f.length === 0 ? 0 : at % f.length;
    return f.slice(0, i) + s + f.slice(i + cut);
  });
  fc.assert(
    fc.property(fc.oneof(field, damaged, fc.string({ maxLength: 20 })), tag, (value, wanted) => {
      t.same(viaScan(value, wanted), viaMap(value, wanted));
    }),
    { numRuns: 3000 },
  );
});

t.test('field 60 and 61 subfields', async (t) => {
  t.same(parseField60('22000001000'), { type: '22', batch: '000001', netCode: '000' });
  t.same(parseField60('00000001'), { type: '00', batch: '000001' });
  t.same(parseField60('220000010000000'), { type: '22', batch: '000001', netCode: '000', rest: '0000' });
  t.equal(buildField60({ type: '00', batch: '000001', netCode: '003' }), '00000001003');
  t.throws(() => parseField60('2200000'), { name: 'CodecError', field: 60 });
  t.throws(() => parseField60('2200000100'), { name: 'CodecError', field: 60, offset: 8 });
  t.throws(() => buildField60({ type: '2', batch: '000001' }), { name: 'CodecError', field: 60 });
  t.same(parseField61('0000010000020125'), { batch: '000001', stan: '000002', date: '0125' });
  t.same(parseField61('000001000002'), { batch: '000001', stan: '000002' });
  t.equal(buildField61({ batch: '000001', stan: '000002', date: '0125' }), '0000010000020125');
  t.throws(() => parseField61('00000100000'), { name: 'CodecError', field: 61 });
});

t.test('BER-TLV for field 55', async (t) => {
  const hex = '9F2608A1B2C3D4E5F60718 9F2701 80 00 FF 5F2A020156 70 81 03 010203'.replace(/\s/g, '');
  t.same(parseBerTlv(hex), [
    { tag: '9F26', value: 'A1B2C3D4E5F60718' },
    { tag: '9F27', value: '80' },
    { tag: '5F2A', value: '0156' },
    { tag: '70', value: '010203' },
  ]);
  const items = [
    { tag: '9F10', value: 'AB'.repeat(200) },
    { tag: '82', value: '3C00' },
  ];
  t.same(parseBerTlv(buildBerTlv(items)), items);
  t.throws(() => parseBerTlv('9F2605A1B2'), { name: 'CodecError', field: 55, offset: 3 });
  t.throws(() => parseBerTlv('9F'), { name: 'CodecError', field: 55 });
  t.throws(() => parseBerTlv('9F2780'), { name: 'CodecError', field: 55 });
  t.throws(() => parseBerTlv('XYZ'), { name: 'CodecError', field: 55 });
});

t.test('MAC block and setMac on an encoded message', async (t) => {
  const codec = codecFor('cups-pos');
  const enc = codec.encode({ mti: '0200', fields: { 3: '000000', 64: '0000000000000000' } });
  t.equal(macBlock(enc).toString('hex'), enc.subarray(0, enc.length - 8).toString('hex'));
  setMac(enc, Buffer.from('6E9BDC80', 'latin1'));
  t.equal(codec.decode(enc).fields[64], '3645394244433830');
  t.throws(() => setMac(enc, Buffer.alloc(4)), CodecError);
  t.throws(() => macBlock(codec.encode({ mti: '0200', fields: { 3: '000000' } })), CodecError);
});

t.test('peekIdentity reads what it can of an undecodable message', async (t) => {
  const codec = codecFor('cups-pos');
  const good = codec.encode({
    mti: '0200',
    fields: { 11: '000123', 41: '12345678', 42: '123456789012345', 49: '156' },
  });
  t.same(peekIdentity(good), { mti: '0200', stan: '000123', tid: '12345678', mid: '123456789012345' });
  const broken = Buffer.from(good);
  broken[broken.length - 1] = 0x01; // field 49 gets a control character
  t.throws(() => codec.decode(broken), CodecError);
  t.same(peekIdentity(broken), { mti: '0200', stan: '000123', tid: '12345678', mid: '123456789012345' });
  t.same(peekIdentity(good.subarray(0, 12)), { mti: '0200' }, 'truncated in field 11');
  t.same(peekIdentity(Buffer.alloc(0)), {});
});
