// The request fingerprint is stored with every request (memory and Redis) and compared with later
// copies: its bytes must not change between versions. Golden values computed by the first version.
import t from 'tap';
import { fingerprint } from '../../src/flows/request.js';

const sale = (amount: string, stan: string, code: string, ksn: string) => ({
  mti: '0200',
  fields: {
    3: '000000',
    4: amount,
    11: stan,
    22: '032',
    25: '00',
    41: '00000001',
    42: '898000000000001',
    49: '156',
    59: `A3018${code}A5020${ksn}`,
    60: '22000001000',
    64: '4643324645324541',
  },
});

t.test('fingerprint: golden values, MAC and DUKPT KSN (59.A5) left out', async (t) => {
  t.equal(
    fingerprint(sale('000000001007', '000008', '134567890123456707', 'FFFF9876543210E00001')),
    '4ljeRRUGXyrA85CsQmtLquaC',
  );
  t.equal(
    fingerprint(sale('000000001008', '000009', '134567890123456708', 'FFFF9876543210E00001')),
    'gmKKTY7-ux7rPH__8qB5EWfN',
  );
  const resent = sale('000000001007', '000008', '134567890123456707', 'FFFF9876543210E00002');
  resent.fields[64] = '0000000000000000';
  t.equal(fingerprint(resent), '4ljeRRUGXyrA85CsQmtLquaC', 'a resend with a new KSN and MAC is the same request');
  t.equal(
    fingerprint({ mti: '0200', fields: { 3: '1', 59: 'A5003xyzA3002ab', 64: 'X', 128: 'Z' } }),
    'Ck5_dRtCQNKImOhqDS748TeP',
    'a 59 of only A5 and A3; the last field of a secondary bitmap',
  );
  t.not(
    fingerprint(sale('000000001007', '000008', '134567890123456700', 'FFFF9876543210E00001')),
    '4ljeRRUGXyrA85CsQmtLquaC',
  );
});
