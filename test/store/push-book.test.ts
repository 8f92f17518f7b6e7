// The memory store's push book: its per-box index agrees with the pushes it holds through every way a
// push comes and goes (put, replace, send, acknowledgement, lazy expiry, sliced sweep), checked
// against a plain model (one Map by MID|TID|RRN, as the store kept them before).
import fc from 'fast-check';
import t from 'tap';
import { PushBook } from '../../src/store/push-book.js';
import type { PendingPush } from '../../src/store/types.js';

const MIDS = ['M00000000000001', 'M00000000000002'];
const TIDS = ['T0000001', 'T0000002', 'T0000003'];
const RRNS = ['060000000001', '060000000002', '060000000003', '060000000004'];
const TTL = 100;

function push(mid: string, tid: string, rrn: string, createdAt: number): PendingPush {
  return {
    mid,
    tid,
    rrn,
    payload: new Uint8Array([1]),
    attempts: 0,
    nextAttemptAt: createdAt,
    createdAt,
    expiresAt: 0,
  };
}

t.test('push book: put, replace, get, delete, list by box; an emptied box is forgotten', async (t) => {
  const b = new PushBook();
  const [m, x] = MIDS;
  b.put(push(m, 'T0000001', '060000000001', 1), TTL, 0);
  b.put(push(m, 'T0000001', '060000000002', 2), TTL, 0);
  b.put(push(m, 'T0000002', '060000000003', 3), TTL, 0);
  b.put(push(x, 'T0000001', '060000000004', 4), TTL, 0);
  t.same(
    b.ofBox(m, 'T0000001', 1).map((p) => p.rrn),
    ['060000000001', '060000000002'],
  );
  t.same(
    b.ofBox(x, 'T0000001', 1).map((p) => p.rrn),
    ['060000000004'],
    'same TID, other merchant: its own box',
  );
  t.same(b.ofBox(m, 'T0000009', 1), []);
  b.put(push(m, 'T0000001', '060000000001', 5), TTL, 0);
  t.same(
    b.ofBox(m, 'T0000001', 1).map((p) => p.createdAt),
    [5, 2],
    'a replaced push keeps its place',
  );
  t.equal(b.size, 4);
  t.ok(b.delete(m, 'T0000002', '060000000003'));
  t.notOk(b.delete(m, 'T0000002', '060000000003'), 'gone');
  t.equal(b.boxes, 2, 'the emptied box is forgotten');
  t.equal(b.get(m, 'T0000001', '060000000002', 1)?.createdAt, 2);
  t.equal(b.get(m, 'T0000001', '060000000002', TTL), undefined, 'expired: not read, and dropped');
  t.equal(b.size, 2);
  t.same(b.ofBox(m, 'T0000001', TTL), [], 'its box lists none once expired');
  t.equal(b.boxes, 1, 'and is forgotten');
  t.same(
    [...b.live(1)].map((p) => p.rrn),
    ['060000000004'],
  );
});

t.test('push book: the sliced sweep removes expired pushes from the box index too', async (t) => {
  const b = new PushBook();
  for (let i = 0; i < 50; i++) {
    const rrn = `0600000000${String(i).padStart(2, '0')}`;
    b.put(push(MIDS[i % 2], TIDS[i % 3], rrn, i), i % 5 === 0 ? 1_000 : TTL, 0);
  }
  let rounds = 0;
  while (!b.sweepSome(7, TTL)) rounds++;
  t.equal(rounds, 7, 'seven slices of seven, the round ends in the eighth');
  t.equal(b.size, 10, 'the long-lived ones are left');
  t.equal(b.boxes, 6);
  const listed = MIDS.flatMap((m) => TIDS.flatMap((tid) => b.ofBox(m, tid, TTL))).length;
  t.equal(listed, 10, 'each left push listed under its box');
  while (!b.sweepSome(7, 1_000));
  t.equal(b.size, 0);
  t.equal(b.boxes, 0, 'no box left behind');
});

const byKey = (a: PendingPush, b: PendingPush) =>
  `${a.mid}|${a.tid}|${a.rrn}` < `${b.mid}|${b.tid}|${b.rrn}` ? -1 : 1;

type Op =
  | { op: 'put'; m: number; tid: number; rrn: number; ttl: number }
  | { op: 'get' | 'delete'; m: number; tid: number; rrn: number }
  | { op: 'list'; m: number; tid: number }
  | { op: 'tick'; ms: number }
  | { op: 'sweep'; limit: number };

const ids = { m: fc.nat(MIDS.length - 1), tid: fc.nat(TIDS.length - 1), rrn: fc.nat(RRNS.length - 1) };
const ops: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('put' as const), ...ids, ttl: fc.integer({ min: 1, max: 50 }) }),
  fc.record({ op: fc.constantFrom('get' as const, 'delete' as const), ...ids }),
  fc.record({ op: fc.constant('list' as const), m: ids.m, tid: ids.tid }),
  fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 30 }) }),
  fc.record({ op: fc.constant('sweep' as const), limit: fc.integer({ min: 1, max: 10 }) }),
);

t.test('push book: the same answers as one map of all pushes, whatever comes and goes', async (t) => {
  fc.assert(
    fc.property(fc.array(ops, { maxLength: 120 }), (script) => {
      const book = new PushBook();
      // The model: what the memory store kept before, one map by MID|TID|RRN with expiries.
      const model = new Map<string, { push: PendingPush; at: number }>();
      const live = (now: number) => [...model.values()].filter((e) => e.at > now).map((e) => e.push);
      // Compared as sets: a push put again after the book dropped its expired one comes last there.
      const same = (a: PendingPush[], b: PendingPush[]) =>
        JSON.stringify(a.sort(byKey)) === JSON.stringify(b.sort(byKey));
      let now = 0;
      let n = 0;
      for (const o of script) {
        if (o.op === 'tick') now += o.ms;
        else if (o.op === 'sweep') {
          book.sweepSome(o.limit, now);
        } else {
          const [mid, tid] = [MIDS[o.m], TIDS[o.tid]];
          if (o.op === 'list') {
            const want = live(now).filter((p) => p.mid === mid && p.tid === tid);
            if (!same(book.ofBox(mid, tid, now), want)) return false;
            continue;
          }
          const rrn = RRNS[o.rrn];
          const key = `${mid}|${tid}|${rrn}`;
          if (o.op === 'put') {
            const p = push(mid, tid, rrn, ++n);
            book.put(p, o.ttl, now);
            model.set(key, { push: p, at: now + o.ttl });
          } else if (o.op === 'get') {
            const e = model.get(key);
            const want = e && e.at > now ? e.push : undefined;
            if (book.get(mid, tid, rrn, now) !== want) return false;
          } else {
            // A delete finds an expired push the sweep has not reached yet, as the map did; one the
            // book has already dropped (on a read, a listing or a sweep) it does not.
            const e = model.get(key);
            const had = model.delete(key);
            const found = book.delete(mid, tid, rrn);
            if (found !== had && !(had && !found && e !== undefined && e.at <= now)) return false;
          }
        }
        // Whatever happened: every live push is where the due listing and its box's listing find it.
        const all = live(now);
        if (!same([...book.live(now)], all)) return false;
        for (const mid of MIDS)
          for (const tid of TIDS) {
            const want = all.filter((p) => p.mid === mid && p.tid === tid);
            if (!same(book.ofBox(mid, tid, now), want)) return false;
          }
        if (book.boxes > new Set(all.map((p) => `${p.mid}|${p.tid}`)).size) return false;
      }
      return true;
    }),
    { numRuns: 500 },
  );
  t.pass('500 random scripts agree with the model');
});
