// The bounded key cache (src/crypto/lru.ts) against a model: it never answers a wrong value, never
// holds more than its capacity, keeps what was just put, and keeps a key it has just served while
// fewer than capacity − ⌊capacity / 2⌋ entries have been put at the newest end since (counted
// conservatively here: every set, and every read of another key, which may move that key).
import fc from 'fast-check';
import t from 'tap';
import { Lru } from '../../src/crypto/lru.js';

type Op = { get: number } | { set: number };

t.test('Lru against a model: values, bounds and how long a served key stays', async () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 9 }),
      fc.array(fc.oneof(fc.record({ get: fc.nat(14) }), fc.record({ set: fc.nat(14) })), { maxLength: 300 }),
      (capacity, ops: Op[]) => {
        const lru = new Lru<number, string>(capacity);
        const kept = capacity - Math.max(1, Math.floor(capacity / 2));
        const last = new Map<number, string>(); // the last value put per key
        // Keys served by a hit, with how many more placements each must still be there for.
        const owed = new Map<number, number>();
        const placed = (except: number) => {
          for (const [k, n] of owed) {
            if (k === except) continue;
            if (n <= 1) owed.delete(k);
            else owed.set(k, n - 1);
          }
        };
        let version = 0;
        for (const op of ops) {
          // Every key still owed is there before this step.
          for (const k of owed.keys()) if (!lru.has(k)) return false;
          if ('get' in op) {
            const v = lru.get(op.get);
            if (v !== undefined && v !== last.get(op.get)) return false;
            placed(op.get);
            if (v !== undefined && kept > 0) owed.set(op.get, kept);
          } else {
            const value = `${op.set}:${version++}`;
            lru.set(op.set, value);
            last.set(op.set, value);
            if (lru.get(op.set) !== value || lru.size > capacity) return false;
            placed(op.set);
            owed.delete(op.set);
          }
        }
        return true;
      },
    ),
    { numRuns: 2_000 },
  );
});

t.test('Lru: a working set within half the capacity is never evicted, however it is read', async (t) => {
  const lru = new Lru<string, number>(8);
  for (const k of ['a', 'b', 'c', 'd']) lru.set(k, k.charCodeAt(0));
  for (let i = 0; i < 1_000; i++) t.equal(lru.get('abcd'[i % 4]), 'abcd'.charCodeAt(i % 4));
  t.equal(lru.size, 4);
});

t.test('Lru: keys read long after they were put move up and outlive keys not read', async (t) => {
  const lru = new Lru<string, number>(4);
  for (const k of ['a', 'b', 'c', 'd']) lru.set(k, 0);
  lru.get('a'); // three keys were put after it: moved to the newest end
  lru.set('e', 0);
  t.same([lru.has('a'), lru.has('b')], [true, false], 'b, not a, went first');
  t.throws(() => new Lru(0), RangeError);
});

t.test('Lru: delete removes one key and says whether it was there', async (t) => {
  const lru = new Lru<string, number>(4);
  lru.set('a', 1);
  lru.set('b', 2);
  t.equal(lru.delete('a'), true);
  t.equal(lru.delete('a'), false, 'already gone');
  t.same([lru.get('a'), lru.get('b'), lru.size], [undefined, 2, 1]);
});
