// The CryptoService contract against both implementations: identical results on random inputs,
// blobs that hide clear keys, sign-on keys a box can open, and the pool's failure modes.
import { generateKeyPairSync, randomBytes, verify } from 'node:crypto';
import fc from 'fast-check';
import t from 'tap';
import { immediateMacsOf } from '../../src/crypto/engine.js';
import { dukptMacKey, field64Mac, type MacAlgorithm } from '../../src/crypto/field64.js';
import { checkValue } from '../../src/crypto/kcv.js';
import { Key } from '../../src/crypto/key.js';
import { type CryptoService, createCryptoService, type MacKeyRef } from '../../src/crypto/service.js';
import { parseField62 } from '../../src/crypto/signon.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
const lmk = randomBytes(32);
const inline = createCryptoService({ mode: 'inline', lmk });
const pool = createCryptoService({ mode: 'pool', lmk, threads: 2, sessionMacs: 'pool' });
const both: [string, CryptoService][] = [
  ['inline', inline],
  ['pool', pool],
];
t.teardown(() => Promise.all([inline.close(), pool.close()]));

const keyLength: Record<MacAlgorithm, number[]> = {
  'cups-ecb': [8, 16],
  'x9.9': [8, 16, 24],
  'x9.19': [16],
  'aes-cmac': [16, 32],
};

t.test('pool and inline give identical MACs on random keys and data, equal to the pure functions', async (t) => {
  const arb = fc.record({
    alg: fc.constantFrom<MacAlgorithm>('cups-ecb', 'x9.9', 'x9.19', 'aes-cmac'),
    pick: fc.nat(),
    seed: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    data: fc.uint8Array({ maxLength: 300 }),
  });
  await fc.assert(
    fc.asyncProperty(arb, async ({ alg, pick, seed, data }) => {
      const lengths = keyLength[alg];
      const clear = Buffer.from(seed.subarray(0, lengths[pick % lengths.length]));
      const mak = await inline.importKey(hex(clear), alg === 'aes-cmac' ? 'aes' : 'tdes');
      const ref: MacKeyRef = { kind: 'session', mak };
      const buf = Buffer.from(data);
      const [a, b] = await Promise.all([inline.generateMac(alg, ref, buf), pool.generateMac(alg, ref, buf)]);
      const pure = field64Mac(alg, new Key(clear, alg === 'aes-cmac' ? 'aes' : 'tdes'), buf);
      if (!a.equals(b) || !a.equals(pure) || a.length !== 8) return false;
      const bad = Buffer.from(a);
      bad[pick % 8] ^= 1 << (pick % 8);
      const verdicts = await Promise.all([
        inline.verifyMac(alg, ref, buf, a),
        pool.verifyMac(alg, ref, buf, a),
        inline.verifyMac(alg, ref, buf, bad),
        pool.verifyMac(alg, ref, buf, bad),
      ]);
      return verdicts.join() === 'true,true,false,false';
    }),
    { numRuns: 60 },
  );
  t.pass('60 random cases agree');
});

t.test('DUKPT MAC keys: pool, inline and the box-side helper agree for random counters', async (t) => {
  const tdesBdk = randomBytes(16);
  const aesBdk = randomBytes(16);
  const tdesBlob = await inline.importKey(hex(tdesBdk));
  const aesBlob = await inline.importKey(hex(aesBdk), 'aes');
  const tenBits = fc.uniqueArray(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 10 });
  const sixteenBits = fc.uniqueArray(fc.integer({ min: 0, max: 31 }), { minLength: 1, maxLength: 16 });
  await fc.assert(
    fc.asyncProperty(
      tenBits,
      sixteenBits,
      fc.uint8Array({ maxLength: 200 }),
      fc.boolean(),
      async (tb, ab, data, request) => {
        const tCounter = tb.reduce((c, bit) => c | (1 << bit), 0);
        if (tCounter > 0x1ff800) return true;
        const aCounter = ab.reduce((c, bit) => (c | (2 ** bit)) >>> 0, 0);
        if (aCounter > 0xffff0000) return true;
        const direction = request ? 'request' : 'response';
        const tKsn = `FFFF9876543210${(0xe00000 | tCounter).toString(16).toUpperCase()}`;
        const aKsn = `1234567890123456${aCounter.toString(16).toUpperCase().padStart(8, '0')}`;
        const buf = Buffer.from(data);
        const tRef: MacKeyRef = { kind: 'dukpt-tdes', bdk: tdesBlob, ksn: tKsn, direction };
        const aRef: MacKeyRef = { kind: 'dukpt-aes', bdk: aesBlob, ksn: aKsn, direction };
        const [ti, tp, ai, ap] = await Promise.all([
          inline.generateMac('x9.19', tRef, buf),
          pool.generateMac('x9.19', tRef, buf),
          inline.generateMac('aes-cmac', aRef, buf),
          pool.generateMac('aes-cmac', aRef, buf),
        ]);
        const tBox = field64Mac('x9.19', dukptMacKey('dukpt-tdes', tdesBdk, tKsn, direction), buf);
        const aBox = field64Mac('aes-cmac', dukptMacKey('dukpt-aes', aesBdk, aKsn, direction), buf);
        return ti.equals(tp) && ti.equals(tBox) && ai.equals(ap) && ai.equals(aBox);
      },
    ),
    { numRuns: 40 },
  );
  t.pass('40 random counters agree');
});

t.test('deriveDukptKey: same key from both implementations; counter errors keep their code', async (t) => {
  const bdk = await inline.importKey('0123456789ABCDEFFEDCBA9876543210');
  for (const [name, s] of both) {
    const pin = await s.deriveDukptKey({ scheme: 'tdes', bdk, ksn: 'FFFF9876543210E00001', usage: 'pin' });
    t.equal(
      await s.keyCheckValue(pin, 4),
      hex(checkValue(Buffer.from('042666B49184CF5C68DE9628D0397B36', 'hex'), 4)),
      name,
    );
    await t.rejects(s.deriveDukptKey({ scheme: 'tdes', bdk, ksn: 'FFFF9876543210E007FF', usage: 'pin' }), {
      name: 'CryptoError',
      code: 'dukpt-counter',
    });
    await t.rejects(s.deriveDukptKey({ scheme: 'tdes', bdk, ksn: 'FFFF9876543210FFFFFF', usage: 'pin' }), {
      code: 'dukpt-exhausted',
    });
  }
  const aesBdk = await inline.importKey('FEDCBA9876543210F1F1F1F1F1F1F1F1', 'aes');
  const k = await pool.deriveDukptKey({
    scheme: 'aes',
    bdk: aesBdk,
    ksn: '123456789012345600000001',
    usage: 'pin',
    keyType: 'aes128',
  });
  t.equal(
    await pool.keyCheckValue(k, 4),
    hex(checkValue(new Key(Buffer.from('AF8CB133A78F8DC2D1359F18527593FB', 'hex'), 'aes'), 4)),
  );
});

t.test('key blobs: clear key never visible, wrong LMK or one altered bit fails as bad-key', async (t) => {
  const clear = '0123456789ABCDEFFEDCBA9876543210';
  const blob = await pool.importKey(clear);
  t.notMatch(blob, clear);
  t.notMatch(blob, clear.slice(0, 16));
  t.not(await pool.importKey(clear), blob, 'fresh nonce per seal');
  t.equal(await pool.keyCheckValue(blob, 4), '08D7B4FB');
  const other = createCryptoService({ mode: 'inline', lmk: randomBytes(32) });
  await t.rejects(other.keyCheckValue(blob), { code: 'bad-key' });
  await other.close();
  const flipped = blob.slice(0, 40) + (blob[40] === '0' ? '1' : '0') + blob.slice(41);
  await t.rejects(inline.keyCheckValue(flipped), { code: 'bad-key' });
  await t.rejects(pool.keyCheckValue('not a blob'), { code: 'bad-key' });
  await t.rejects(inline.importKey('0123'), { code: 'bad-key' });
});

t.test('sign-on keys: field 62 opens under the clear TMK, KCVs match the stored blobs', async (t) => {
  const tmkClear = Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex');
  const tmk = await inline.importKey(hex(tmkClear));
  for (const [name, s] of both) {
    for (const opts of [{ withTdk: false }, { withTdk: true }, { withTdk: true, doubleLengthMak: true }]) {
      const keys = await s.generateSignOnKeys(tmk, opts);
      t.equal(keys.field62.length, opts.withTdk ? 60 : 40, `${name} ${JSON.stringify(opts)} length`);
      const box = parseField62(keys.field62, tmkClear);
      t.equal(box.mak.length, opts.doubleLengthMak ? 16 : 8);
      t.equal(hex(checkValue(box.mak, 4)), await s.keyCheckValue(keys.mak, 4));
      t.equal(hex(checkValue(box.pik, 4)), await s.keyCheckValue(keys.pik, 4));
      t.equal(Boolean(keys.tdk), opts.withTdk);
      const data = randomBytes(200);
      const alg = opts.doubleLengthMak ? 'x9.19' : 'cups-ecb';
      t.same(
        await s.generateMac(alg, { kind: 'session', mak: keys.mak }, data),
        field64Mac(alg, box.mak, data),
        'box and FEP agree on MACs',
      );
    }
  }
});

t.test('wrap / unwrap under a KEK', async (t) => {
  const kek = await inline.importKey('0123456789ABCDEFFEDCBA9876543210');
  for (const [name, s] of both) {
    const wrapped = await s.wrap(kek, kek);
    t.equal(hex(wrapped), '1A4D672DCA6CB3351FD1B02B237AF9AE', name);
    const back = await s.unwrap(kek, wrapped);
    t.equal(await s.keyCheckValue(back, 4), '08D7B4FB');
  }
});

t.test('rsaSign: SHA256withRSA verifiable with the public key', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const data = Buffer.from('app_id=2014072300007148&biz_content={}');
  for (const [name, s] of both) {
    const sig = await s.rsaSign(pem, data);
    t.ok(verify('sha256', data, publicKey, sig), name);
    await t.rejects(s.rsaSign('-----BEGIN NOTHING-----', data), { code: 'bad-key' });
  }
});

t.test('queue full: beyond maxQueue calls reject at once and stats say saturated', async (t) => {
  const small = createCryptoService({ mode: 'pool', lmk, threads: 1, maxQueue: 4, sessionMacs: 'pool' });
  t.teardown(() => small.close());
  const mak = await small.importKey('2222222222222222');
  const data = randomBytes(200);
  const calls = Array.from({ length: 10 }, () =>
    small.generateMac('cups-ecb', { kind: 'session', mak }, data).then(
      () => 'ok',
      (e: { code: string }) => e.code,
    ),
  );
  t.same(small.stats(), { queueDepth: 4, inFlight: 0, saturated: true, threads: 1 });
  const outcomes = await Promise.all(calls);
  t.same(outcomes, [
    'ok',
    'ok',
    'ok',
    'ok',
    'queue-full',
    'queue-full',
    'queue-full',
    'queue-full',
    'queue-full',
    'queue-full',
  ]);
  t.same(small.stats(), { queueDepth: 0, inFlight: 0, saturated: false, threads: 1 });
  t.equal(await small.keyCheckValue(mak), await inline.keyCheckValue(mak), 'accepts again once drained');
});

t.test('worker crash: its jobs fail with worker-crashed, the worker is replaced', async (t) => {
  const crashy = createCryptoService({
    mode: 'pool',
    lmk,
    threads: 1,
    sessionMacs: 'pool',
    workerFilename: new URL('./fixtures/crash-worker.js', import.meta.url).href,
  });
  t.teardown(() => crashy.close());
  const mak = await crashy.importKey('2222222222222222');
  const data = randomBytes(64);
  const sameBatch = crashy.generateMac('cups-ecb', { kind: 'session', mak }, data);
  const crash = crashy.rsaSign('CRASH', data);
  const timeout = (ms: number) => new Promise((_, reject) => setTimeout(() => reject(new Error('hung')), ms).unref());
  await t.rejects(Promise.race([crash, timeout(10_000)]), { name: 'CryptoError', code: 'worker-crashed' });
  await t.rejects(sameBatch, { code: 'worker-crashed' }, 'a job in the same task fails the same way');
  t.same(
    await crashy.generateMac('cups-ecb', { kind: 'session', mak }, data),
    field64Mac('cups-ecb', Buffer.from('2222222222222222', 'hex'), data),
    'replacement worker serves',
  );
  t.equal(crashy.stats().queueDepth, 0);
});

t.test('close: finishes accepted jobs, then refuses new ones', async (t) => {
  const s = createCryptoService({ mode: 'pool', lmk, threads: 1, sessionMacs: 'pool' });
  const mak = await s.importKey('2222222222222222');
  const pending = s.generateMac('cups-ecb', { kind: 'session', mak }, Buffer.alloc(16));
  await s.close();
  t.equal((await pending).length, 8);
  await t.rejects(s.generateMac('cups-ecb', { kind: 'session', mak }, Buffer.alloc(16)), { code: 'closed' });
  await inline.close();
  await t.rejects(inline.importKey('00'), { code: 'closed' });
});

t.test('session MACs inline in pool mode (the default) give the same answers and skip the queue', async (t) => {
  const s = createCryptoService({ mode: 'pool', lmk, threads: 1, maxQueue: 1 });
  t.teardown(() => s.close());
  const mak = await pool.importKey('3333333333333333');
  const data = randomBytes(200);
  const ref = { kind: 'session', mak } as const;
  const macs = await Promise.all(Array.from({ length: 5 }, () => s.generateMac('cups-ecb', ref, data)));
  const expected = await pool.generateMac('cups-ecb', ref, data);
  for (const m of macs) t.same(m, expected);
  t.same(s.stats(), { queueDepth: 0, inFlight: 0, saturated: false, threads: 1 }, 'never queued');
  const bdk = await pool.importKey('0123456789ABCDEFFEDCBA9876543210');
  const dukptRef = { kind: 'dukpt-tdes', bdk, ksn: 'FFFF9876543210E00001', direction: 'request' } as const;
  const first = s.generateMac('x9.19', dukptRef, data);
  t.equal(s.stats().queueDepth, 1, 'a DUKPT MAC goes to the pool');
  t.same(await first, await pool.generateMac('x9.19', dukptRef, data));
});

t.test(
  'immediate MACs: the same answers on the caller’s stack, only where the service computes them locally',
  async (t) => {
    const local = createCryptoService({ mode: 'pool', lmk, threads: 1 });
    const fresh = createCryptoService({ mode: 'inline', lmk });
    t.teardown(() => Promise.all([local.close(), fresh.close()]));
    const mak = await pool.importKey('4444444444444444');
    const data = randomBytes(120);
    const ref = { kind: 'session', mak } as const;
    const expected = await pool.generateMac('cups-ecb', ref, data);
    for (const [name, s] of [
      ['pool, session MACs inline', local],
      ['inline', fresh],
    ] as const) {
      const now = immediateMacsOf(s);
      if (now === undefined) throw new Error(`${name} offers no immediate MACs`);
      t.same(now.generateMacNow('cups-ecb', ref, data), expected, name);
      t.equal(now.verifyMacNow('cups-ecb', ref, data, expected), true, name);
      t.equal(now.verifyMacNow('cups-ecb', ref, data, Buffer.from('00000000')), false, name);
      const garbled: MacKeyRef = { kind: 'session', mak: `${mak.slice(0, -4)}0000` };
      const async = await s.generateMac('cups-ecb', garbled, data).then(
        () => 'resolved',
        (err: { code: string }) => err.code,
      );
      t.throws(() => now.generateMacNow('cups-ecb', garbled, data), { code: async }, `${name}: same error as async`);
    }
    const bdk = await pool.importKey('0123456789ABCDEFFEDCBA9876543210');
    const dukptRef = { kind: 'dukpt-tdes', bdk, ksn: 'FFFF9876543210E00001', direction: 'request' } as const;
    t.equal(immediateMacsOf(local)?.generateMacNow('x9.19', dukptRef, data), undefined, 'DUKPT goes to the pool');
    t.equal(immediateMacsOf(pool)?.generateMacNow('cups-ecb', ref, data), undefined, "sessionMacs: 'pool'");
    await fresh.close();
    t.throws(() => immediateMacsOf(fresh)?.generateMacNow('cups-ecb', ref, data), { code: 'closed' });
  },
);
