// TDES DUKPT on the JS one-shot DES against two independent references on random BDKs, KSNs and
// counters: a direct transcription of X9.24-1 on OpenSSL des-ede3, and the npm `dukpt` package.
import { createCipheriv } from 'node:crypto';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import t from 'tap';
import { countOneBits, deriveTdesDukpt } from '../../src/crypto/dukpt/tdes.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const xor = (a: Buffer, b: Buffer) => Buffer.from(a.map((x, i) => x ^ b[i]));
const MASK = Buffer.from('C0C0C0C000000000C0C0C0C000000000', 'hex');
const MAC_REQUEST = Buffer.from('000000000000FF00000000000000FF00', 'hex');

/** OpenSSL DES/TDES-ECB: single DES as K‖K‖K, 2-key as K1‖K2‖K1. */
function ecb(key: Buffer, block: Buffer): Buffer {
  const k = key.length === 8 ? Buffer.concat([key, key, key]) : Buffer.concat([key, key.subarray(0, 8)]);
  return createCipheriv('des-ede3', k, null).setAutoPadding(false).update(block);
}

/** X9.24-1:2009 A.2/A.3, step by step, on OpenSSL. */
function reference(bdk: Buffer, ksn: Buffer): { ipek: Buffer; current: Buffer } {
  const base = Buffer.from(ksn.subarray(0, 8));
  base[7] &= 0xe0;
  const ipek = Buffer.concat([ecb(bdk, base), ecb(xor(bdk, MASK), base)]);
  const counter = ksn.readUIntBE(7, 3) & 0x1fffff;
  const reg = Buffer.from(ksn.subarray(2, 10));
  reg[5] &= 0xe0;
  reg[6] = 0;
  reg[7] = 0;
  let key = ipek;
  for (let bit = 0x100000; bit !== 0; bit >>>= 1) {
    if (!(counter & bit)) continue;
    reg.writeUIntBE(reg.readUIntBE(5, 3) | bit, 5, 3);
    const half = (k: Buffer) => xor(ecb(k.subarray(0, 8), xor(reg, k.subarray(8))), k.subarray(8));
    key = Buffer.concat([half(xor(key, MASK)), half(key)]);
  }
  return { ipek, current: key };
}

/** 1 to 10 distinct one-bits among the 21 counter bits, up to the last valid counter. */
const counterArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 10 })
  .map((bits) => bits.reduce((c, b) => c | (1 << b), 0))
  .filter((c) => c <= 0x1ff800 && countOneBits(c) <= 10);
const caseArb = fc.record({
  bdk: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  prefix: fc.uint8Array({ minLength: 10, maxLength: 10 }),
  counter: counterArb,
});
const ksnOf = (prefix: Uint8Array, counter: number) => {
  const ksn = Buffer.from(prefix);
  ksn.writeUIntBE((ksn.readUIntBE(7, 3) & 0xe00000) | counter, 7, 3);
  return ksn;
};

t.test('IPEK and transaction key equal the OpenSSL transcription of X9.24-1', async () => {
  fc.assert(
    fc.property(caseArb, ({ bdk, prefix, counter }) => {
      const ksn = ksnOf(prefix, counter);
      const ref = reference(Buffer.from(bdk), ksn);
      const ksnHex = hex(ksn);
      if (hex(deriveTdesDukpt(Buffer.from(bdk), ksnHex, 'ipek')) !== hex(ref.ipek)) throw new Error(`IPEK ${ksnHex}`);
      if (hex(deriveTdesDukpt(Buffer.from(bdk), ksnHex, 'current')) !== hex(ref.current)) {
        throw new Error(`current key ${ksnHex}`);
      }
      const mac = deriveTdesDukpt(Buffer.from(bdk), ksnHex, 'mac-request');
      if (hex(mac) !== hex(xor(ref.current, MAC_REQUEST))) throw new Error(`MAC request key ${ksnHex}`);
    }),
    { numRuns: 1500 },
  );
});

t.test('MAC request key equals the npm dukpt package', async () => {
  const Dukpt = createRequire(import.meta.url)('dukpt') as new (
    bdk: string,
    ksn: string,
    mode: string,
  ) => { _sessionKey: string };
  fc.assert(
    fc.property(caseArb, ({ bdk, prefix, counter }) => {
      const ksnHex = hex(ksnOf(prefix, counter));
      const theirs = new Dukpt(hex(bdk), ksnHex, 'mackey')._sessionKey.replace(/\s/g, '').toUpperCase();
      const ours = hex(deriveTdesDukpt(Buffer.from(bdk), ksnHex, 'mac-request'));
      if (ours !== theirs) throw new Error(`${hex(bdk)} ${ksnHex}: ${ours} ≠ ${theirs}`);
    }),
    { numRuns: 300 },
  );
});
