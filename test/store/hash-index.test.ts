// The memory store's big indexes (src/store/hash-index.ts): records found by a hash of their own key
// fields. The model test uses a deliberately poor hash, so that most records share a slot with
// others: the shared slots' code is what a good hash almost never reaches.
import fc from 'fast-check';
import t from 'tap';
import { HashIndex, hashParts, type KeyScheme } from '../../src/store/hash-index.js';
import { expiresAt } from '../../src/store/record-map.js';

interface Key {
  mid: string;
  rrn: string;
}
interface Rec extends Key {
  n: number;
  expires: number | null;
}

const BY_KEY: KeyScheme<Key, Rec> = {
  hash: (k) => hashParts(k.mid, k.rrn),
  matches: (r, k) => r.rrn === k.rrn && r.mid === k.mid,
};
/** Every key in one of four slots. */
const POOR: KeyScheme<Key, Rec> = { hash: (k) => k.rrn.length % 4, matches: BY_KEY.matches };

const rec = (mid: string, rrn: string, n: number, ttlMs: number, now: number): Rec => ({
  mid,
  rrn,
  n,
  expires: expiresAt(ttlMs, now),
});

t.test('HashIndex: found by the key fields, not by identity; lives until its own expiry', async (t) => {
  const ix = new HashIndex(BY_KEY, 4);
  const a = rec('M1', '000000000001', 1, 100, 1000);
  ix.set(a);
  t.equal(ix.get({ mid: 'M1', rrn: '000000000001' }, 1099), a, 'the record itself, by a fresh key object');
  t.equal(ix.get({ mid: 'M2', rrn: '000000000001' }, 1099), undefined, 'another MID');
  t.equal(ix.get({ mid: 'M1', rrn: '000000000002' }, 1099), undefined, 'another RRN');
  t.equal(ix.get({ mid: 'M1', rrn: '000000000001' }, 1100), undefined, 'expired at its expiry');
  t.equal(ix.size, 0, 'dropped by the read');
  const b = rec('M1', '000000000001', 2, 100, 1000);
  const c = rec('M1', '000000000001', 3, 100, 1000);
  ix.set(b);
  ix.set(c);
  t.equal(ix.size, 1, 'a record with the same key replaces the one held');
  t.equal(ix.get(b, 1050), c);
  t.ok(ix.delete({ mid: 'M1', rrn: '000000000001' }));
  t.notOk(ix.delete({ mid: 'M1', rrn: '000000000001' }), 'nothing left to delete');
});

t.test('HashIndex: records whose keys hash alike share a slot and are told apart', async (t) => {
  const ix = new HashIndex(POOR);
  const recs = ['000000000001', '000000000002', '000000000003'].map((rrn, i) => rec('M', rrn, i, 100 * (i + 1), 0));
  for (const r of recs) ix.set(r);
  t.equal(ix.size, 3);
  for (const r of recs) t.equal(ix.get({ mid: 'M', rrn: r.rrn }, 50), r);
  t.equal(ix.get({ mid: 'M', rrn: '000000000004' }, 50), undefined, 'same slot, no such record');
  t.equal(ix.get({ mid: 'M', rrn: '000000000001' }, 150), undefined, 'the first expires on its own');
  t.equal(ix.get({ mid: 'M', rrn: '000000000002' }, 150), recs[1], 'the others stay');
  t.ok(ix.delete({ mid: 'M', rrn: '000000000002' }));
  t.equal(ix.size, 1, 'one left');
  t.equal(ix.get({ mid: 'M', rrn: '000000000003' }, 150), recs[2]);
  t.same([...ix.values(150)], [recs[2]]);
});

t.test('HashIndex with shards: sliced sweeps cover every shard and prune shared slots', async (t) => {
  t.throws(() => new HashIndex(BY_KEY, 6), RangeError, 'a power of two');
  const ix = new HashIndex(BY_KEY, 16);
  for (let i = 0; i < 5_000; i++)
    ix.set(rec('M00000000000001', String(i).padStart(12, '0'), i, i % 2 ? 100 : 10_000, 1000));
  t.equal(ix.size, 5_000);
  t.equal(ix.get({ mid: 'M00000000000001', rrn: '000000000042' }, 1050)?.n, 42);
  let slices = 0;
  while (!ix.sweepSome(300, 2000)) slices++;
  t.ok(slices >= 16, `a round covers all shards in slices (${slices} slices)`);
  t.equal(ix.size, 2_500, 'the odd keys (100 ms) expired');
  t.equal([...ix.values(20_000)].length, 0, 'values lists live records only');
  ix.sweep(20_000);
  t.equal(ix.size, 0);

  const poor = new HashIndex(POOR);
  for (let i = 0; i < 40; i++) poor.set(rec('M', String(i).padStart(1 + (i % 8), '0'), i, i % 2 ? 100 : 10_000, 1000));
  poor.sweep(2000);
  t.equal(poor.size, 20, 'shared slots lose their expired records, keep the live ones');
  t.ok([...poor.values(2000)].every((r) => r.n % 2 === 0));
  poor.clear();
  t.equal(poor.size, 0);
});

t.test('HashIndex against a model Map keyed by strings, with most records in shared slots', async () => {
  // Few keys, so that operations meet the records put before them; by POOR, '1' to '5' share a slot.
  const rrn = fc.constantFrom('1', '2', '3', '4', '5', '12', '13', '123', '1234', '99999');
  const key = fc.record({ mid: fc.constantFrom('M1', 'M2'), rrn });
  const op = fc.oneof(
    fc.record({ set: key, ttl: fc.integer({ min: 1, max: 50 }) }),
    fc.record({ get: key }),
    fc.record({ del: key }),
    fc.record({ sweep: fc.constant(true) }),
    fc.record({ tick: fc.integer({ min: 1, max: 20 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const ix = new HashIndex(POOR, 2);
      const model = new Map<string, Rec>();
      const name = (k: Key) => `${k.mid}|${k.rrn}`;
      let now = 1000;
      let n = 0;
      const liveNow = (r: Rec | undefined) => r !== undefined && (r.expires as number) > expiresAt(0, now);
      for (const o of ops) {
        if ('set' in o) {
          const r = rec(o.set.mid, o.set.rrn, n++, o.ttl, now);
          ix.set(r);
          model.set(name(r), r);
        } else if ('get' in o) {
          const m = model.get(name(o.get));
          if (ix.get(o.get, now) !== (liveNow(m) ? m : undefined)) return false;
        } else if ('del' in o) {
          const m = model.get(name(o.del));
          model.delete(name(o.del));
          // An expired record may already be gone (read or swept): then either answer is right.
          const deleted = ix.delete(o.del);
          if (liveNow(m) ? !deleted : m === undefined && deleted) return false;
        } else if ('sweep' in o) ix.sweep(now);
        else now += o.tick;
        const live = [...model.values()].filter(liveNow);
        const got = [...ix.values(now)];
        if (got.length !== live.length || !live.every((r) => got.includes(r))) return false;
      }
      return true;
    }),
    { numRuns: 1_000 },
  );
});

t.test('hashParts: 30 bits, parts kept apart, keys spread evenly over shards', async (t) => {
  t.not(hashParts('ab', 'c'), hashParts('a', 'bc'), 'a separator after each part');
  t.equal(hashParts('M', 'R'), hashParts('M', 'R', '', ''), 'missing parts are empty');
  const perShard = new Array(16).fill(0);
  let outOfRange = 0;
  for (let i = 0; i < 16_000; i++) {
    const h = hashParts('898310048990001', String(i).padStart(12, '0'));
    if (!Number.isInteger(h) || h < 0 || h >= 2 ** 30) outOfRange++;
    perShard[h & 15]++;
  }
  t.equal(outOfRange, 0, 'every hash a small non-negative integer');
  t.ok(
    perShard.every((n) => n > 800 && n < 1200),
    `sequential RRNs spread over 16 shards: ${perShard.join(' ')}`,
  );
});
