import t from 'tap';
import { type IdleEntry, IdleWheel } from '../../src/server/idle-wheel.js';

const entry = (name: string) => ({ name, idleTick: 0, idleSlot: -1 }) as IdleEntry & { name: string };

t.test('an untouched entry expires after timeout/resolution ticks, a touched one later', async (t) => {
  const expired: string[] = [];
  const wheel = new IdleWheel<IdleEntry & { name: string }>(1000, 100, (e) => expired.push(e.name));
  const a = entry('a');
  const b = entry('b');
  wheel.add(a);
  wheel.add(b);
  for (let i = 0; i < 5; i++) wheel.tick();
  wheel.touch(b); // activity at tick 5
  for (let i = 5; i < 9; i++) wheel.tick();
  t.same(expired, [], 'nothing before 10 ticks');
  wheel.tick(); // tick 10
  t.same(expired, ['a']);
  for (let i = 10; i < 14; i++) wheel.tick();
  t.same(expired, ['a'], 'b was active at tick 5, so it lives until tick 15');
  wheel.tick(); // tick 15
  t.same(expired, ['a', 'b']);
  t.equal(wheel.size, 0);
});

t.test('a tick touches only the entries filed in one bucket', async (t) => {
  const wheel = new IdleWheel<IdleEntry>(100_000, 100, () => {});
  const entries = Array.from({ length: 1000 }, () => ({ idleTick: 0, idleSlot: -1 }));
  for (const [i, e] of entries.entries()) {
    if (i % 10 === 0) wheel.tick();
    wheel.add(e);
  }
  t.equal(wheel.size, 1000);
  const perBucket = new Map<number, number>();
  for (const e of entries) perBucket.set(e.idleSlot, (perBucket.get(e.idleSlot) ?? 0) + 1);
  t.ok(Math.max(...perBucket.values()) <= 10, 'entries are spread over the buckets by arrival');
});

t.test('removed entries never fire', async (t) => {
  let fired = 0;
  const wheel = new IdleWheel<IdleEntry>(200, 100, () => fired++);
  const e = { idleTick: 0, idleSlot: -1 };
  wheel.add(e);
  wheel.remove(e);
  for (let i = 0; i < 5; i++) wheel.tick();
  t.equal(fired, 0);
  t.throws(() => new IdleWheel(0, 10, () => {}), RangeError);
});
