// The JS one-shot DES/TDES (des-block.ts) against the published known answers and against OpenSSL's
// des-ede3 on random keys and blocks.
import { createCipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import t from 'tap';
import { DesSchedule, desEncryptOnce } from '../../src/crypto/des-block.js';
import { CryptoError } from '../../src/crypto/errors.js';
import { checkValue } from '../../src/crypto/kcv.js';
import { Key } from '../../src/crypto/key.js';
import { cupsEcbMac } from '../../src/crypto/mac/cups-ecb.js';
import { fixture } from '../helpers/paths.js';

const h = (s: string) => Buffer.from(s, 'hex');
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();

/** OpenSSL reference: des-ede3 with K‖K‖K (8 bytes), K1‖K2‖K1 (16) or the key itself (24). */
function openssl(key: Uint8Array, data: Uint8Array): Buffer {
  const k = Buffer.from(key);
  const ede3 = k.length === 8 ? Buffer.concat([k, k, k]) : k.length === 16 ? Buffer.concat([k, k.subarray(0, 8)]) : k;
  return createCipheriv('des-ede3', ede3, null).setAutoPadding(false).update(data);
}

const kat = JSON.parse(readFileSync(fixture('crypto', 'des-kat.json'), 'utf8')) as {
  vectors: { table: string; key: string; plaintext: string; ciphertext: string }[];
};

t.test('SP 800-20 and FIPS 46 known answers, as DES and as TDES with equal keys', async (t) => {
  t.equal(kat.vectors.length, 86);
  for (const v of kat.vectors) {
    const key = h(v.key);
    const name = `${v.table}: ${v.key} / ${v.plaintext}`;
    t.equal(hex(desEncryptOnce(key, h(v.plaintext), Buffer.alloc(8))), v.ciphertext, `${name} (DES)`);
    t.equal(
      hex(desEncryptOnce(Buffer.concat([key, key]), h(v.plaintext), Buffer.alloc(8))),
      v.ciphertext,
      `${name} (2-key)`,
    );
    t.equal(
      hex(desEncryptOnce(Buffer.concat([key, key, key]), h(v.plaintext), Buffer.alloc(8))),
      v.ciphertext,
      `${name} (3-key)`,
    );
    t.equal(hex(openssl(key, h(v.plaintext))), v.ciphertext, `${name} (OpenSSL agrees)`);
  }
});

t.test('SP 800-67 TDES example (three distinct keys, three blocks)', async (t) => {
  const key = h('0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123');
  // SP 800-67's first block reads "The qufc" (sic): 5468652071756663.
  const plain = h('54686520717566636B2062726F776E20666F78206A756D70');
  t.equal(hex(desEncryptOnce(key, plain, Buffer.alloc(24))), 'A826FD8CE53B855FCCE21C8112256FE668D5C05DD9B6B900');
});

t.test('equals OpenSSL des-ede3 on random 8/16/24-byte keys and 1-4 blocks', async () => {
  fc.assert(
    fc.property(
      fc.constantFrom(8, 16, 24).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
      fc.integer({ min: 1, max: 4 }).chain((n) => fc.uint8Array({ minLength: 8 * n, maxLength: 8 * n })),
      (key, data) => {
        const expected = openssl(key, data);
        const out = desEncryptOnce(key, data, new Uint8Array(data.length));
        if (!expected.equals(out)) throw new Error(`key ${hex(key)} data ${hex(data)}: ${hex(out)} ≠ ${hex(expected)}`);
        const inPlace = Uint8Array.from(data);
        desEncryptOnce(key, inPlace);
        if (!expected.equals(inPlace)) throw new Error(`in place differs for key ${hex(key)}`);
      },
    ),
    { numRuns: 5000 },
  );
});

t.test('a kept schedule (DesSchedule) equals OpenSSL des-ede3 block by block, across keys used in turn', async () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.constantFrom(8, 16, 24).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        { minLength: 1, maxLength: 3 },
      ),
      fc.uint8Array({ minLength: 8, maxLength: 8 }),
      (keys, data) => {
        const schedules = keys.map((k) => new DesSchedule(k));
        // A one-shot call in between must not disturb a kept schedule (they share no state).
        desEncryptOnce(Buffer.alloc(16, 7), Buffer.alloc(8));
        for (let i = 0; i < keys.length; i++) {
          const out = Buffer.alloc(8);
          schedules[i].encryptBlock(data, 0, out, 0);
          if (!openssl(keys[i], data).equals(out)) throw new Error(`key ${hex(keys[i])} data ${hex(data)}`);
          const inPlace = Buffer.from(data);
          schedules[i].encryptBlock(inPlace, 0, inPlace, 0);
          if (!out.equals(inPlace)) throw new Error(`in place differs for key ${hex(keys[i])}`);
        }
      },
    ),
    { numRuns: 2000 },
  );
});

/** The UnionPay ECB MAC with OpenSSL for the two block encryptions (how it was computed before). */
function cupsWithOpenssl(mak: Uint8Array, data: Uint8Array): string {
  const acc = Buffer.alloc(8);
  for (let i = 0; i < data.length; i++) acc[i % 8] ^= data[i];
  const expanded = Buffer.from(hex(acc), 'latin1');
  const first = openssl(mak, expanded.subarray(0, 8));
  for (let i = 0; i < 8; i++) first[i] ^= expanded[8 + i];
  return hex(openssl(mak, first)).slice(0, 8);
}

t.test('the UnionPay ECB MAC on the kept JS schedule equals the OpenSSL computation', async () => {
  fc.assert(
    fc.property(
      fc.constantFrom(8, 16).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
      fc.uint8Array({ minLength: 0, maxLength: 300 }),
      (mak, data) => {
        const expected = cupsWithOpenssl(mak, data);
        const key = Key.of(Buffer.from(mak));
        // Twice with the same Key: the second call runs on the cached schedule.
        for (let i = 0; i < 2; i++) {
          const mac = cupsEcbMac(key, data).toString('latin1');
          if (mac !== expected) throw new Error(`MAK ${hex(mak)} data ${hex(data)}: ${mac} ≠ ${expected}`);
        }
      },
    ),
    { numRuns: 2000 },
  );
});

t.test('DES/TDES check values (now in JS) equal OpenSSL E(0⁸) on random keys', async () => {
  fc.assert(
    fc.property(
      fc.constantFrom(8, 16, 24).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
      fc.constantFrom<3 | 4>(3, 4),
      (key, length) => {
        const expected = hex(openssl(key, Buffer.alloc(8)).subarray(0, length));
        if (hex(checkValue(Buffer.from(key), length)) !== expected) throw new Error(`KCV of ${hex(key)}`);
      },
    ),
    { numRuns: 1000 },
  );
});

t.test('bad lengths are typed errors', async (t) => {
  const codeOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      return e instanceof CryptoError ? e.code : 'other';
    }
    return 'none';
  };
  t.equal(
    codeOf(() => desEncryptOnce(Buffer.alloc(12), Buffer.alloc(8))),
    'bad-key',
  );
  t.equal(
    codeOf(() => desEncryptOnce(Buffer.alloc(0), Buffer.alloc(8))),
    'bad-key',
  );
  t.equal(
    codeOf(() => desEncryptOnce(Buffer.alloc(16), Buffer.alloc(7))),
    'bad-input',
  );
  t.equal(
    codeOf(() => desEncryptOnce(Buffer.alloc(16), Buffer.alloc(16), Buffer.alloc(8))),
    'bad-input',
  );
  t.equal(desEncryptOnce(Buffer.alloc(8, 1), Buffer.alloc(0)).length, 0);
});
