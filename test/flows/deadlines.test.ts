// The flows' shared deadlines: `within` (a result, or undefined once its time has passed) on one heap
// and one timer instead of a Timeout per wallet call. The behaviour must be the one a Timeout per call
// had: expiry after `ms`, the result when it comes first, a late rejection swallowed, nothing left
// behind when calls settle first.
import fc from 'fast-check';
import t from 'tap';
import { Deadline, DeadlineHeap } from '../../src/flows/deadlines.js';
import { waitsRunning, within } from '../../src/flows/pending.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A promise settled from outside. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

class Recorded extends Deadline {
  constructor(
    readonly name: number,
    private readonly log: number[],
  ) {
    super();
  }

  expire(): void {
    this.log.push(this.name);
  }
}

t.test('within: undefined once ms have passed, not before', async (t) => {
  const never = deferred<string>();
  const started = performance.now();
  let settled = false;
  const r = within(never.promise, 60).then((v) => {
    settled = true;
    return v;
  });
  await tick(20);
  t.equal(settled, false, 'still waiting before the deadline');
  t.equal(await r, undefined);
  t.ok(performance.now() - started >= 59, 'not before its time');
  t.equal(waitsRunning(), 0, 'the deadline is gone');
});

t.test('within: the result when it comes first, and its deadline is taken out', async (t) => {
  const d = deferred<string>();
  const r = within(d.promise, 10_000);
  t.equal(waitsRunning(), 1);
  d.resolve('answer');
  t.equal(await r, 'answer');
  t.equal(waitsRunning(), 0, 'no deadline left to keep the process alive');
});

t.test('within: ms ≤ 0 is undefined at once', async (t) => {
  t.equal(await within(new Promise<string>(() => undefined), 0), undefined);
  t.equal(await within(Promise.resolve('x'), -5), undefined);
  t.equal(waitsRunning(), 0);
});

t.test('within: a rejection before the deadline is the caller’s', async (t) => {
  const d = deferred<string>();
  const r = within(d.promise, 10_000);
  d.reject(new Error('wire broke'));
  await t.rejects(r, { message: 'wire broke' });
  t.equal(waitsRunning(), 0);
});

t.test('within: a rejection after the deadline is dropped, never unhandled', async (t) => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => process.off('unhandledRejection', onUnhandled));
  const d = deferred<string>();
  t.equal(await within(d.promise, 20), undefined);
  d.reject(new Error('too late'));
  // With no time at all, a call that rejects later is dropped too.
  t.equal(await within(Promise.reject(new Error('no time')), 0), undefined);
  await tick(20);
  t.same(unhandled, []);
  // And a late result changes nothing either.
  const e = deferred<string>();
  const r = within(e.promise, 20);
  t.equal(await r, undefined);
  e.resolve('late');
  t.equal(await r, undefined);
});

t.test('within: many waits with mixed deadlines each get their own outcome', async (t) => {
  const calls = Array.from({ length: 30 }, () => deferred<number>());
  const ms = (i: number) => 20 + ((i * 37) % 50); // 20–69 ms, out of order
  const results = calls.map((c, i) => within(c.promise, ms(i)));
  // Every third answers before its deadline; the others never do.
  for (let i = 0; i < calls.length; i += 3) calls[i]?.resolve(i);
  const got = await Promise.all(results);
  t.same(
    got,
    calls.map((_, i) => (i % 3 === 0 ? i : undefined)),
  );
  t.equal(waitsRunning(), 0);
});

t.test('DeadlineHeap: expires in deadline order, only what was not removed', async (t) => {
  const heap = new DeadlineHeap();
  const log: number[] = [];
  const entries = [50, 10, 40, 20, 30].map((ms) => {
    const d = new Recorded(ms, log);
    heap.add(d, ms);
    return d;
  });
  heap.remove(entries[2] as Recorded); // 40
  heap.remove(entries[2] as Recorded); // twice: no-op
  await tick(80);
  t.same(log, [10, 20, 30, 50]);
  t.equal(heap.size, 0);
  t.equal((entries[0] as Recorded).slot, -1);
});

t.test('DeadlineHeap: removing the earliest lets the next still expire on time', async (t) => {
  const heap = new DeadlineHeap();
  const log: number[] = [];
  const first = new Recorded(1, log);
  const second = new Recorded(2, log);
  heap.add(first, 10);
  heap.add(second, 40);
  heap.remove(first);
  const started = performance.now();
  while (log.length === 0 && performance.now() - started < 500) await tick(5);
  t.same(log, [2]);
  t.ok(performance.now() - started >= 35, 'not expired with the removed one');
});

t.test('DeadlineHeap: an expire that adds a deadline gets it expired too', async (t) => {
  const heap = new DeadlineHeap();
  const log: number[] = [];
  class Chained extends Deadline {
    expire(): void {
      log.push(1);
      heap.add(new Recorded(2, log), 5);
    }
  }
  heap.add(new Chained(), 5);
  await tick(60);
  t.same(log, [1, 2]);
  t.equal(heap.size, 0);
});

t.test('DeadlineHeap: heap order holds under random adds and removes (no timers fire)', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 1_000, max: 100_000 }), fc.boolean()), { minLength: 1, maxLength: 60 }),
      (ops) => {
        const heap = new DeadlineHeap();
        const live: Recorded[] = [];
        for (const [ms, removeOne] of ops) {
          const d = new Recorded(ms, []);
          heap.add(d, ms);
          live.push(d);
          if (removeOne && live.length > 1) {
            const victim = live.splice(ms % live.length, 1)[0] as Recorded;
            heap.remove(victim);
          }
        }
        const inner = (heap as unknown as { heap: Deadline[] }).heap;
        const ok =
          inner.length === live.length &&
          inner.every((d, i) => d.slot === i && (i === 0 || (inner[(i - 1) >> 1] as Deadline).at <= d.at));
        for (const d of live) heap.remove(d);
        return ok && heap.size === 0;
      },
    ),
    { numRuns: 300 },
  );
  t.pass('300 random sequences of adds and removes');
});
