// The store's small parts: identifiers, RRN blocks, the in-flight bound, TTL map, URL parsing.
import t from 'tap';
import { ByteSlab } from '../../src/store/byte-slab.js';
import { parseClusterNodes } from '../../src/store/factory.js';
import {
  businessDay,
  checkDigits,
  checkId,
  dayOfYear,
  formatRrn,
  makeOutTradeNo,
  parseOutTradeNo,
} from '../../src/store/ids.js';
import { InFlightLimit } from '../../src/store/inflight.js';
import { RrnBlocks } from '../../src/store/rrn.js';
import { createStore, StoreInputError, StoreUnavailableError } from '../../src/store/store.js';
import { TtlMap } from '../../src/store/ttl-map.js';

t.test('business day is Asia/Shanghai (UTC+8)', async (t) => {
  t.equal(businessDay(Date.UTC(2025, 0, 1, 15, 59, 59)), '20250101');
  t.equal(businessDay(Date.UTC(2025, 0, 1, 16, 0, 0)), '20250102', 'midnight in Shanghai is 16:00 UTC');
  t.equal(dayOfYear(Date.UTC(2024, 11, 31, 4)), 366, 'leap year');
  t.equal(dayOfYear(Date.UTC(2024, 11, 31, 16)), 1, 'new year in Shanghai');
});

t.test('the cached business day agrees with the calendar at every boundary, whatever the order of calls', async (t) => {
  const direct = (now: number) => {
    const d = new Date(now + 8 * 3600_000);
    const p = (n: number, w: number) => String(n).padStart(w, '0');
    const doy =
      (Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - Date.UTC(d.getUTCFullYear(), 0, 1)) / 864e5;
    return { day: `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1, 2)}${p(d.getUTCDate(), 2)}`, doy: doy + 1 };
  };
  const instants: number[] = [];
  for (const midnight of [Date.UTC(2024, 11, 31, 16), Date.UTC(2025, 1, 28, 16), Date.UTC(2028, 1, 28, 16)]) {
    for (const d of [-86400_000, -1, 0, 1, 3600_000, 86400_000 - 1, 86400_000]) instants.push(midnight + d);
  }
  // Forwards, backwards, then jumping around: a cache hit must never answer for the wrong day.
  for (const now of [...instants, ...instants.slice().reverse(), ...instants.filter((_, i) => i % 3 === 0)]) {
    const want = direct(now);
    t.equal(businessDay(now), want.day, `day of ${new Date(now).toISOString()}`);
    t.equal(dayOfYear(now), want.doy, `day of year of ${new Date(now).toISOString()}`);
    t.equal(formatRrn(now, 7), `${String(want.doy).padStart(3, '0')}000000007`);
    t.equal(makeOutTradeNo('M00000000000001', '001000000001', now).slice(15, 17), want.day.slice(2, 4));
  }
});

t.test('RRN = DDD + 9-digit sequence; outTradeNo names merchant and RRN', async (t) => {
  const now = Date.UTC(2025, 1, 10, 2);
  t.equal(formatRrn(now, 42), '041000000042');
  t.throws(() => formatRrn(now, 0), StoreInputError);
  t.throws(() => formatRrn(now, 1_000_000_000), StoreInputError);
  const otn = makeOutTradeNo('M00000000000001', '041000000042', now);
  t.equal(otn, 'M0000000000000125041000000042');
  t.ok(otn.length <= 32, 'fits WeChat Pay out_trade_no');
  t.same(parseOutTradeNo(otn), { mid: 'M00000000000001', rrn: '041000000042' });
  t.equal(parseOutTradeNo(`${otn}0`), undefined);
  t.equal(parseOutTradeNo('M00000000000001250410000000AB'), undefined);
});

t.test('RRN blocks: one reservation per block, shared by concurrent callers, new block per day', async (t) => {
  const calls: [string, number][] = [];
  let counter = 0;
  const blocks = new RrnBlocks(async (day, n) => {
    calls.push([day, n]);
    counter += n;
    return counter;
  }, 10);
  const day1 = Date.UTC(2025, 4, 5, 4);
  const rrns = await Promise.all(Array.from({ length: 25 }, () => blocks.next(day1)));
  t.equal(new Set(rrns).size, 25, 'unique');
  t.equal(calls.length, 3, '25 numbers from 3 blocks of 10');
  t.same(rrns.slice(0, 3), ['125000000001', '125000000002', '125000000003']);
  const next = await blocks.next(day1 + 24 * 3600_000);
  t.equal(next.slice(0, 3), '126');
  t.equal(calls.length, 4, 'a new day reserves a new block');
});

t.test('in-flight bound: waits briefly, then refuses with overloaded', async (t) => {
  const limit = new InFlightLimit(2, 1);
  t.equal(limit.acquire(), undefined);
  t.equal(limit.acquire(), undefined);
  const waiting = limit.acquire();
  t.ok(waiting instanceof Promise);
  t.throws(() => limit.acquire(), StoreUnavailableError);
  let resolved = false;
  void waiting?.then(() => {
    resolved = true;
  });
  limit.release();
  await waiting;
  t.ok(resolved);
  t.equal(limit.active, 2, 'the slot passed to the waiter');
  limit.release();
  limit.release();
  t.equal(limit.active, 0);
});

t.test('TtlMap expires lazily and on sweep', async (t) => {
  const m = new TtlMap<number>();
  m.set('a', 1, 100, 1000);
  m.set('b', 2, 500, 1000);
  t.equal(m.get('a', 1099), 1);
  t.equal(m.get('a', 1100), undefined);
  t.equal(m.ttl('b', 1200), 300);
  t.notOk(m.update('a', 5, 1200));
  t.equal(m.sweep(2000), 1);
  t.equal(m.size, 0);
});

t.test('TtlMap.touch renews a live entry in place and reports an absent or expired one', async (t) => {
  const m = new TtlMap<{ n: number }>();
  const v = { n: 1 };
  m.set('a', v, 100, 1000);
  t.equal(m.touch('a', 500, 1050), v, 'the stored value itself');
  t.equal(m.ttl('a', 1100), 450, 'lifetime counted from the touch');
  t.equal(m.touch('a', 500, 1550), undefined, 'expired: gone');
  t.equal(m.size, 0);
  t.equal(m.touch('b', 500, 1000), undefined);
  m.set('c', v, Number.POSITIVE_INFINITY, 1000);
  m.touch('c', Number.POSITIVE_INFINITY, 2000);
  t.equal(m.get('c', Number.MAX_SAFE_INTEGER), v, 'no expiry stays no expiry');
});

t.test('TtlMap.sweepSome sweeps in slices that resume where they stopped, with entries coming and going', async (t) => {
  const m = new TtlMap<number>();
  for (let i = 0; i < 10; i++) m.set(`k${i}`, i, i % 2 === 0 ? 100 : 10_000, 1000);
  t.notOk(m.sweepSome(4, 2000), 'a round is not over after 4 of 10');
  t.equal(m.size, 8, 'the expired among the first 4 are gone');
  m.delete('k5');
  m.set('late', 99, 100, 1000);
  t.notOk(m.sweepSome(4, 2000));
  t.ok(m.sweepSome(4, 2000), 'the round ends, including the entry added meanwhile');
  t.same(
    [...m.entries(2000)].map(([k]) => k),
    ['k1', 'k3', 'k7', 'k9'],
  );
  t.equal(m.size, 4);
  t.notOk(m.sweepSome(1, 2000), 'the next call starts a new round');
});

t.test('createStore picks the backend from the URL', async (t) => {
  const mem = createStore('memory');
  t.equal(mem.backend, 'memory');
  await mem.close();
  t.same(parseClusterNodes('redis+cluster://10.0.0.1:7000,10.0.0.2:7001,[::1]:7002'), [
    { host: '10.0.0.1', port: 7000 },
    { host: '10.0.0.2', port: 7001 },
    { host: '::1', port: 7002 },
  ]);
  t.throws(() => parseClusterNodes('redis+cluster://host'), StoreInputError);
  t.throws(() => createStore('mongodb://x'), StoreInputError);
  t.throws(() => createStore('redis://127.0.0.1:6379', { keyPrefix: 'a{b}' }), StoreInputError);
});

t.test('id and digit checks accept exactly what their patterns describe, character by character', async (t) => {
  const ID = /^[\x20-\x7a\x7e]+$/;
  let wrong = 0;
  for (let c = 0; c <= 0xffff; c++) {
    const s = `ab${String.fromCharCode(c)}`;
    const idOk = !throws(() => checkId('x', s));
    const digitsOk = !throws(() => checkDigits('x', `12${String.fromCharCode(c)}`, 3));
    if (idOk !== ID.test(s) || digitsOk !== /^\d+$/.test(`12${String.fromCharCode(c)}`)) wrong++;
  }
  t.equal(wrong, 0, 'every UTF-16 code unit judged as the regular expressions judge it');
  t.ok(
    throws(() => checkId('x', '')),
    'empty id',
  );
  t.ok(
    throws(() => checkId('x', 'abc', 4)),
    'wrong length',
  );
  t.ok(
    throws(() => checkDigits('x', '', 0)),
    'empty digits',
  );
  t.ok(throws(() => checkDigits('x', '12a', 3)));
  t.notOk(throws(() => checkDigits('x', '000123', 6)));
  t.ok(
    throws(() => checkId('x', 7 as unknown as string)),
    'not a string',
  );
});

function throws(f: () => void): boolean {
  try {
    f();
    return false;
  } catch (e) {
    if (!(e instanceof StoreInputError)) throw e;
    return true;
  }
}

t.test(
  'ByteSlab copies are exact, independent of their source and of each other, across slab boundaries',
  async (t) => {
    const slab = new ByteSlab();
    const copies: [Uint8Array, Uint8Array][] = [];
    // 2,000 copies of 0–99 bytes cross several 64 KB slabs; every 97th is larger than a slab share.
    for (let i = 0; i < 2_000; i++) {
      const src = Uint8Array.from({ length: i % 97 === 0 ? 5_000 : i % 100 }, (_, j) => (i * 31 + j) & 0xff);
      const copy = slab.copy(src);
      copies.push([src.slice(), copy]);
      src.fill(0);
    }
    let bad = 0;
    for (const [want, got] of copies) if (Buffer.compare(want, got) !== 0) bad++;
    t.equal(bad, 0, 'each copy still holds its bytes after the source and the later copies changed');
    t.ok(
      copies.every(([, c]) => c instanceof Uint8Array && !Buffer.isBuffer(c)),
      'plain Uint8Array views, like Uint8Array.from',
    );
  },
);

t.test('TtlMap with shards: the same map to its callers, swept across every shard', async (t) => {
  t.throws(() => new TtlMap({ shards: 3 }), RangeError, 'a power of two');
  const m = new TtlMap<number>({ shards: 16 });
  for (let i = 0; i < 5_000; i++)
    m.set(`M00000000000001|${String(i).padStart(12, '0')}`, i, i % 2 ? 100 : 10_000, 1000);
  t.equal(m.size, 5_000);
  t.equal(m.get('M00000000000001|000000000042', 1050), 42);
  t.equal(m.touch('M00000000000001|000000000043', 10_000, 1050), 43);
  t.equal(m.ttl('M00000000000001|000000000043', 1050), 10_000);
  t.ok(m.delete('M00000000000001|000000000044'));
  t.equal(m.get('M00000000000001|000000000044', 1050), undefined);
  let rounds = 0;
  while (!m.sweepSome(300, 2000)) rounds++;
  t.ok(rounds >= 16, `a round covers all shards in slices (${rounds} slices)`);
  t.equal(m.size, 2_500, 'the odd keys (100 ms) expired but 43, renewed; 44 deleted');
  t.equal([...m.entries(2000)].length, 2_500);
  t.equal(m.get('M00000000000001|000000000043', 2000), 43);
  t.equal(m.sweep(20_000), 2_500);
  m.clear();
  t.equal(m.size, 0);
});

t.test('ownString: a flat copy with the same characters, or the string itself where no copy is needed', async (t) => {
  const { ownString } = await import('../../src/store/own-string.js');
  const long = `wx${'4200001234202612061234567890'.repeat(3)}`;
  const view = long.slice(2, 30);
  t.equal(ownString(view), view, 'a 28-character view copies to the same characters');
  t.equal(ownString('12345678'), '12345678', 'short strings come back as they are');
  const wide = `订单号${'0'.repeat(20)}`;
  t.equal(ownString(wide), wide, 'characters beyond U+00FF come back unchanged');
  const latin1 = `café-${'é'.repeat(20)}`;
  t.equal(ownString(latin1), latin1, 'Latin-1 characters survive the copy');
  const huge = 'x'.repeat(5000);
  t.equal(ownString(huge), huge, 'strings over the copy limit come back as they are');
  t.equal(ownString(''), '');
});
