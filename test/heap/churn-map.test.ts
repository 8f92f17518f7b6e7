// ChurnMap behaves as a Map across its renewals (a property test against Map itself), and renews.
import fc from 'fast-check';
import t from 'tap';
import { ChurnMap } from '../../src/heap/churn-map.js';

type Op = { kind: 'set'; key: number; value: number } | { kind: 'delete'; key: number } | { kind: 'get'; key: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 20 }), value: fc.integer() }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 20 }) }),
  fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 20 }) }),
);

t.test('the same answers as a Map, whatever the renewal interval', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 200 }), (every, ops) => {
      const model = new Map<number, number>();
      const churn = new ChurnMap<number, number>(every);
      for (const o of ops) {
        if (o.kind === 'set') {
          model.set(o.key, o.value);
          churn.set(o.key, o.value);
        } else if (o.kind === 'delete') {
          if (churn.delete(o.key) !== model.delete(o.key)) return false;
        } else if (churn.get(o.key) !== model.get(o.key) || churn.has(o.key) !== model.has(o.key)) {
          return false;
        }
        if (churn.size !== model.size) return false;
      }
      // Insertion order survives renewals, as a Map's does.
      return JSON.stringify(churn.values()) === JSON.stringify([...model.values()]);
    }),
  );
  t.pass('1,000 random sequences');
});

t.test('values() is a copy: settling entries while walking them deletes safely', async (t) => {
  const m = new ChurnMap<string, number>();
  for (let i = 0; i < 5; i++) m.set(`k${i}`, i);
  const seen: number[] = [];
  for (const v of m.values()) {
    seen.push(v);
    m.delete(`k${v}`);
  }
  t.same(seen, [0, 1, 2, 3, 4]);
  t.equal(m.size, 0);
});

t.test('made anew every `renewEvery` inserts, entries kept', async (t) => {
  const m = new ChurnMap<string, number>(3);
  const inner = () => (m as unknown as { map: Map<string, number> }).map;
  const first = inner();
  m.set('a', 1).set('b', 2);
  t.equal(inner(), first, 'not before the third insert');
  m.set('c', 3);
  t.not(inner(), first, 'a new Map at the third');
  t.same(m.values(), [1, 2, 3]);
});
