// The cache of opened keys: a blob is opened under the LMK once and then found; hits and misses are
// counted; the least recently used key goes first when the cache is full, and opens again (a miss);
// the crypto services report the cache their event-loop MACs use, and /metrics reads it.
import t from 'tap';
import { InlineCryptoService } from '../../src/crypto/inline.js';
import { KeyVault } from '../../src/crypto/lmk.js';
import { createCryptoService } from '../../src/crypto/service.js';
import { trackKeyCache } from '../../src/metrics/crypto.js';
import { registry } from '../../src/metrics/registry.js';

const LMK = Buffer.alloc(32, 0x5a);
const clear = (n: number) => Buffer.alloc(16, n);

t.test('a vault opens each blob once, counts hits and misses, and evicts the least recently used', async (t) => {
  const sealer = new KeyVault(LMK);
  const [a, b, c] = [1, 2, 3].map((n) => sealer.seal(clear(n), 'tdes'));
  const vault = new KeyVault(LMK, 2);
  t.same(vault.cacheStats(), { keys: 0, capacity: 2, hits: 0, misses: 0 });
  const first = vault.open(a);
  t.same(first.bytes, clear(1));
  t.equal(vault.open(a), first, 'the same opened key again');
  vault.open(b);
  t.same(vault.cacheStats(), { keys: 2, capacity: 2, hits: 1, misses: 2 });
  vault.open(a); // a is now the most recently used: c evicts b
  vault.open(c);
  t.ok(vault.isOpen(a));
  t.notOk(vault.isOpen(b), 'the least recently used key was evicted');
  t.same(vault.cacheStats(), { keys: 2, capacity: 2, hits: 2, misses: 3 });
  t.same(vault.open(b).bytes, clear(2), 'an evicted key opens again');
  t.same(vault.cacheStats(), { keys: 2, capacity: 2, hits: 2, misses: 4 });
});

t.test('the services report the key cache of their event-loop MACs', async (t) => {
  const inline = new InlineCryptoService({ lmk: LMK, keyCacheSize: 10 });
  const mak = await inline.importKey('0123456789ABCDEFFEDCBA9876543210');
  const key = { kind: 'session', mak } as const;
  const data = Buffer.from('a message to MAC, longer than one block');
  const mac = inline.generateMacNow('cups-ecb', key, data);
  t.ok(inline.verifyMacNow('cups-ecb', key, data, mac));
  t.same(inline.keyCacheStats(), { keys: 1, capacity: 10, hits: 1, misses: 1 });

  const pool = createCryptoService({ mode: 'pool', lmk: LMK, threads: 1, keyCacheSize: 7 });
  t.teardown(() => pool.close());
  const pooled = await pool.generateMac('cups-ecb', key, data);
  t.same(pooled, mac, 'the same MAC');
  t.same(pool.keyCacheStats(), { keys: 1, capacity: 7, hits: 0, misses: 1 }, 'session MACs run on the event loop');
  const offLoop = createCryptoService({ mode: 'pool', lmk: LMK, threads: 1, sessionMacs: 'pool' });
  t.teardown(() => offLoop.close());
  t.equal(offLoop.keyCacheStats(), undefined, 'no engine on the event loop');
});

t.test('/metrics reads every tracked key cache at scrape time, until it is untracked', async (t) => {
  const value = async (name: string, labels = '') => {
    const text = await registry.metrics();
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    return line === undefined ? undefined : Number(line.split(' ')[1]);
  };
  const stats = [
    { keys: 3, capacity: 10, hits: 40, misses: 5 },
    { keys: 8, capacity: 8, hits: 2, misses: 30 },
  ];
  const untrack = stats.map((s) => trackKeyCache(() => s));
  const nothing = trackKeyCache(() => undefined);
  t.equal(await value('boxfep_crypto_key_cache_keys'), 11);
  t.equal(await value('boxfep_crypto_key_cache_capacity'), 18);
  t.equal(await value('boxfep_crypto_key_cache_lookups_total', '{result="hit"}'), 42);
  t.equal(await value('boxfep_crypto_key_cache_lookups_total', '{result="miss"}'), 35);
  stats[0].misses = 9;
  t.equal(await value('boxfep_crypto_key_cache_lookups_total', '{result="miss"}'), 39, 'read again at each scrape');
  for (const u of untrack) u();
  nothing();
  t.equal(await value('boxfep_crypto_key_cache_keys'), 0);
  t.equal(await value('boxfep_crypto_key_cache_lookups_total', '{result="miss"}'), 0);
});

t.test('warmMacKey opens a session MAK in the event loop’s engine, and does nothing where there is none', async (t) => {
  const inline = new InlineCryptoService({ lmk: LMK, keyCacheSize: 10 });
  const mak = await inline.importKey('0123456789ABCDEFFEDCBA9876543210');
  const key = { kind: 'session', mak } as const;
  inline.warmMacKey('x9.19', key);
  t.same(inline.keyCacheStats(), { keys: 1, capacity: 10, hits: 0, misses: 1 }, 'opened once');
  const data = Buffer.from('a message to MAC');
  inline.generateMacNow('x9.19', key, data);
  t.same(inline.keyCacheStats(), { keys: 1, capacity: 10, hits: 1, misses: 1 }, 'the MAC found it open');
  inline.warmMacKey('cups-ecb', { kind: 'dukpt-tdes', bdk: mak, ksn: 'FFFF9876543210E00001', direction: 'request' });
  t.same(inline.keyCacheStats(), { keys: 1, capacity: 10, hits: 1, misses: 1 }, 'a DUKPT key: nothing done');

  const pool = createCryptoService({ mode: 'pool', lmk: LMK, threads: 1 });
  t.teardown(() => pool.close());
  pool.warmMacKey('cups-ecb', key);
  t.equal(pool.keyCacheStats()?.misses, 1, 'the pool opens it in its engine on the event loop');
  t.equal(pool.stats().queueDepth, 0, 'not a job for the workers');
  const offLoop = createCryptoService({ mode: 'pool', lmk: LMK, threads: 1, sessionMacs: 'pool' });
  t.teardown(() => offLoop.close());
  t.doesNotThrow(() => offLoop.warmMacKey('cups-ecb', key), 'session MACs in the pool: nothing to warm');
  await inline.close();
  t.doesNotThrow(() => inline.warmMacKey('cups-ecb', key), 'a closed service: nothing done');
  t.equal(inline.keyCacheStats().misses, 1);
});
