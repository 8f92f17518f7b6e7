// The memory store's big maps: records that carry their own expiry, held directly.
import t from 'tap';
import { EPOCH } from '../../src/store/process-epoch.js';
import { expiresAt, live, RecordMap } from '../../src/store/record-map.js';

interface Rec {
  n: number;
  expires: number | null;
}
const rec = (n: number, ttlMs: number, now: number): Rec => ({ n, expires: expiresAt(ttlMs, now) });

t.test('RecordMap: a record lives until its own expiry, then is dropped on read', async (t) => {
  const m = new RecordMap<Rec>();
  const a = rec(1, 100, 1000);
  m.set('a', a);
  t.equal(m.get('a', 1099), a, 'the record itself, not a copy');
  t.ok(m.has('a', 1099));
  t.ok(live(a, 1099));
  t.notOk(live(a, 1100), 'expired at its expiry');
  t.equal(m.get('a', 1100), undefined);
  t.equal(m.size, 0, 'dropped by the read');
  const forever = rec(2, Number.POSITIVE_INFINITY, 1000);
  m.set('f', forever);
  t.equal(m.get('f', Number.MAX_SAFE_INTEGER), forever, 'Infinity: no expiry');
  t.equal(expiresAt(100, EPOCH + 5), 105, 'expiries are ms after the process epoch');
});

t.test('RecordMap: one record in two maps expires from both at once', async (t) => {
  const byRrn = new RecordMap<Rec>(4);
  const byRequest = new RecordMap<Rec>(4);
  const order = rec(7, 500, 1000);
  byRrn.set('M|000000000001', order);
  byRequest.set('M|T|000001|000001', order);
  t.equal(byRrn.get('M|000000000001', 1400), byRequest.get('M|T|000001|000001', 1400), 'the same object');
  t.equal(byRrn.get('M|000000000001', 1500), undefined);
  t.equal(byRequest.get('M|T|000001|000001', 1500), undefined);
});

t.test('RecordMap with shards: sliced sweeps cover every shard, resuming where they stopped', async (t) => {
  t.throws(() => new RecordMap(6), RangeError, 'a power of two');
  const m = new RecordMap<Rec>(16);
  for (let i = 0; i < 5_000; i++)
    m.set(`M00000000000001|${String(i).padStart(12, '0')}`, rec(i, i % 2 ? 100 : 10_000, 1000));
  t.equal(m.size, 5_000);
  t.equal(m.get('M00000000000001|000000000042', 1050)?.n, 42);
  t.ok(m.delete('M00000000000001|000000000044'));
  t.notOk(m.has('M00000000000001|000000000044', 1050));
  let slices = 0;
  while (!m.sweepSome(300, 2000)) slices++;
  t.ok(slices >= 16, `a round covers all shards in slices (${slices} slices)`);
  t.equal(m.size, 2_499, 'the odd keys (100 ms) expired; 44 deleted');
  t.equal([...m.entries(2000)].length, 2_499);
  t.equal([...m.entries(20_000)].length, 0, 'entries lists live records only');
  t.equal(m.sweep(20_000), 2_499);
  m.set('x', rec(1, 10, 1000));
  m.clear();
  t.equal(m.size, 0);
});
