// The request fingerprint is stored with every request (memory and Redis) and compared with later
// copies: its bytes must not change between versions. Golden values computed by the first version.
import { hash } from 'node:crypto';
import fc from 'fast-check';
import t from 'tap';
import { fingerprint } from '../../src/flows/request.js';
import { parseField59 } from '../../src/iso8583/index.js';

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

/** The fingerprint as the first version computed it: one string, field 59 through parseField59. */
function reference(request: { mti: string; fields: Record<number, string> }): string {
  let s = request.mti;
  for (let n = 1; n <= 128; n++) {
    let v = request.fields[n];
    if (v === undefined || n === 64) continue;
    if (n === 59) {
      const items = [...parseField59(v)].filter(([tag]) => tag !== 'A5');
      v = items.map(([tag, value]) => `${tag}:${value}`).join('\u0001');
    }
    s += `\u0000${n}=${v}`;
  }
  return hash('sha256', s, 'base64url').slice(0, 24);
}

t.test('fingerprint: the byte writer equals the string digest, errors included', async () => {
  const chars = fc.constantFrom(
    ...'0123456789AZaz :\u0000\u0001\u007f\u0080\u00e9\u00ff\u0100\u07ff\u0800\u4e2d'.split(''),
  );
  const text = fc.array(chars, { maxLength: 30 }).map((a) => a.join(''));
  const item = fc
    .tuple(fc.constantFrom('A3', 'A5', 'A4', 'A7', 'B1', 'a\u00e9'), text)
    .map(([tag, value]) => tag + String(value.length).padStart(3, '0') + value);
  // Well-formed TLVs (duplicates possible), and now and then a broken one.
  const f59 = fc.oneof(
    fc.array(item, { maxLength: 5 }).map((a) => a.join('')),
    fc.tuple(fc.array(item, { maxLength: 3 }), text).map(([a, tail]) => a.join('') + tail),
  );
  const outcome = (fn: () => string) => {
    try {
      return fn();
    } catch (err) {
      return `error: ${(err as Error).message}`;
    }
  };
  fc.assert(
    fc.property(
      fc.record({ 2: text, 4: text, 11: text, 41: text, 59: f59, 64: text, 128: text }, { requiredKeys: [] }),
      (fields) => {
        const request = { mti: '0200', fields: fields as Record<number, string> };
        const expected = outcome(() => reference(request));
        const actual = outcome(() => fingerprint(request));
        if (actual !== expected) throw new Error(`${JSON.stringify(fields)}: ${actual} ≠ ${expected}`);
      },
    ),
    { numRuns: 3000 },
  );
});
