// Fields 12 and 13 in China Standard Time, and the per-second reuse that keeps them cheap.
import t from 'tap';
import { localTimeFields } from '../../src/server/clock.js';

t.test('hhmmss and MMDD at UTC+8, whatever the server zone', async (t) => {
  t.same(localTimeFields(Date.UTC(2026, 10, 25, 14, 25, 34, 999)), { time: '222534', date: '1125' });
  t.same(
    localTimeFields(Date.UTC(2026, 11, 31, 16, 0, 0, 0)),
    { time: '000000', date: '0101' },
    'next day at 16:00 UTC',
  );
  t.same(localTimeFields(Date.UTC(2026, 11, 31, 15, 59, 59, 999)), { time: '235959', date: '1231' });
  t.same(localTimeFields(Date.UTC(2026, 0, 1, 0, 0, 0, 0), 0), { time: '000000', date: '0101' }, 'another offset');
});

t.test('one second’s fields are computed once and cannot be changed by a caller', async (t) => {
  const at = Date.UTC(2026, 10, 25, 14, 25, 34, 0);
  const a = localTimeFields(at + 10);
  const b = localTimeFields(at + 990);
  t.equal(a, b, 'same second: the same object');
  t.ok(Object.isFrozen(a));
  t.not(localTimeFields(at + 1000), a, 'the next second is new');
  t.same(localTimeFields(at + 1000), { time: '222535', date: '1125' });
  t.same(
    localTimeFields(at + 1000, 0),
    { time: '142535', date: '1125' },
    'a different offset is not served from the cache',
  );
});
