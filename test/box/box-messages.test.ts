// The emulator builds requests byte for byte as examples.md shows them (the golden frames).
import t from 'tap';
import { BoxKeys } from '../../src/box/keys.js';
import { saleRequest, signOnRequest } from '../../src/box/messages.js';
import { buildField62 } from '../../src/crypto/signon.js';
import { BOX_LAYOUT, buildFrame, codecFor, macBlock, setMac } from '../../src/iso8583/index.js';

const codec = codecFor('cups-pos');
const TPDU = Buffer.from('6000030000', 'hex');
const HEADER = Buffer.from('603100000000', 'hex');
const id = { tid: '12345678', mid: '123456789012345', batch: '000001' };
const hex = (s: string) => s.replace(/\s+/g, '');

t.test('sign-on request frame of examples.md', async (t) => {
  const frame = buildFrame(
    { tpdu: TPDU, header: HEADER, message: codec.encode(signOnRequest(id, '000001')) },
    BOX_LAYOUT,
  );
  t.equal(
    frame.toString('hex').toUpperCase(),
    hex(`003C 6000030000 603100000000 0800 0020000000C00012 000001 3132333435363738
      313233343536373839303132333435 0011 000000010030 0003 303120`),
  );
});

// examples.md prints field 59 with one '30' byte too many; its length prefixes (0067, 0023), the
// value 'A3018' + 18 digits and the MAC 6E9BDC80 all agree on the 23-byte field used here.
t.test('B2C sale frame of examples.md, MAC 6E9BDC80 under MAK 3333333333333333', async (t) => {
  const tmk = Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex');
  const keys = new BoxKeys({ tmk: tmk.toString('hex') });
  const f62 = buildField62(tmk, { pik: Buffer.alloc(16, 0x11), mak: Buffer.from('3333333333333333', 'hex') });
  keys.acceptField62(f62.toString('hex'));
  const req = saleRequest(id, '000002', 100, '134567890123456789');
  const encoded = Buffer.from(codec.encode({ mti: req.mti, fields: { ...req.fields, 64: '0000000000000000' } }));
  setMac(encoded, keys.mac64(macBlock(encoded), 'request'));
  const frame = buildFrame({ tpdu: TPDU, header: HEADER, message: encoded }, BOX_LAYOUT);
  t.equal(
    frame.toString('hex').toUpperCase(),
    hex(`0067 6000030000 603100000000
      0200 3020048000C08031 000000 000000000100 000002 0320 00
      3132333435363738 313233343536373839303132333435 313536
      0023 4133303138 313334353637383930313233343536373839
      0011 220000010000
      3645394244433830`),
  );
});

t.test('DUKPT KSN advances, skipping counters with too many one-bits', async (t) => {
  const k = new BoxKeys({
    keyMode: 'dukpt-tdes',
    bdk: '0123456789ABCDEFFEDCBA9876543210',
    ksn: 'FFFF9876543210E00000',
  });
  t.equal(k.nextKsn(), 'FFFF9876543210E00001');
  t.equal(k.nextKsn(), 'FFFF9876543210E00002');
  const full = new BoxKeys({
    keyMode: 'dukpt-tdes',
    bdk: '0123456789ABCDEFFEDCBA9876543210',
    ksn: 'FFFF9876543210E003FE',
  });
  // 0x3FF has 10 one-bits (allowed); 0x400 follows.
  t.equal(full.nextKsn(), 'FFFF9876543210E003FF');
  const aes = new BoxKeys({
    keyMode: 'dukpt-aes',
    bdk: 'FEDCBA9876543210F1F1F1F1F1F1F1F1',
    ksn: '123456789012345600000000',
  });
  t.equal(aes.nextKsn(), '123456789012345600000001');
  t.throws(() => new BoxKeys({ keyMode: 'dukpt-aes', bdk: 'AA', ksn: '12' }), /24 hex digits/);
  t.throws(() => new BoxKeys({}), /needs its TMK/);
});

t.test('a field 62 made under another TMK fails the check value', async (t) => {
  const keys = new BoxKeys({ tmk: '0123456789ABCDEFFEDCBA9876543210' });
  const f62 = buildField62(Buffer.alloc(16, 0x22), { pik: Buffer.alloc(16, 1), mak: Buffer.alloc(8, 3) });
  t.throws(() => keys.acceptField62(f62.toString('hex')), /check value mismatch/);
  t.notOk(keys.signedOn);
});
