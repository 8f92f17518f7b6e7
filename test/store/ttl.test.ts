// Every key has a lifetime fitting its use; checked with PTTL on a real Redis.
import t from 'tap';
import type { RedisStore } from '../../src/store/redis.js';
import { DEFAULT_TTLS } from '../../src/store/store.js';
import { redisHarness } from './harness.js';
import { MID, req, TID } from './suite.js';

const h = redisHarness();
t.teardown(() => h.cleanup());
const HOUR = 3600_000;

t.test('default lifetimes: 48 h requests and tombstones, 7 d orders, 24 h pushes...', async (t) => {
  const s = h.make() as RedisStore;
  const admin = h.admin!;
  const k = s.keys;
  const now = Date.now();
  const sale = await s.beginPayment({
    request: req(1),
    fingerprint: 'a',
    kind: 'precreate',
    amountFen: 5,
    limits: { dailyCountMax: 9 },
    now,
  });
  if (sale.status !== 'started') throw new Error('not started');
  const paid = await s.transition(sale.order, {
    from: ['created'],
    to: 'paid',
    response: { request: req(1), bytes: Buffer.from('R') },
    push: { payload: Buffer.from('P') },
    now,
  });
  t.equal(paid.status, 'ok');
  await s.beginReversal({ request: req(2, { mti: '0400' }), fingerprint: 'r' });
  await s.putSessionKeys(TID, { mak: 'm', pik: 'p', issuedAt: now }, 2 * HOUR);
  await s.incrMacFailures(TID);
  await s.acquireLease('job', 'me', 30_000);

  const expect: [string, number][] = [
    [k.request(req(1)), DEFAULT_TTLS.requestMs],
    [k.request(req(2, { mti: '0400' })), DEFAULT_TTLS.requestMs],
    [k.tombstone(MID, TID, '000001', '000002'), DEFAULT_TTLS.tombstoneMs],
    [k.order(MID, sale.order.rrn), DEFAULT_TTLS.orderMs],
    [k.orderIndex(MID, TID, '000001', '000001'), DEFAULT_TTLS.orderMs],
    [k.daily(MID, sale.order.limitDay!), DEFAULT_TTLS.dailyMs],
    [k.batch(MID, TID, '000001'), DEFAULT_TTLS.batchMs],
    [k.pushes(MID, TID), DEFAULT_TTLS.pushMs],
    [k.sessionKeys(TID), 2 * HOUR],
    [k.macFailures(TID), DEFAULT_TTLS.macFailureMs],
    [k.lease('job'), 30_000],
  ];
  for (const [key, ttl] of expect) {
    const pttl = await admin.pttl(key);
    t.ok(pttl > ttl - 60_000 && pttl <= ttl, `${key.slice(h.lastPrefix!.length)}: PTTL ${pttl} ≈ ${ttl}`);
  }
  t.ok(
    DEFAULT_TTLS.requestMs >= 48 * HOUR && DEFAULT_TTLS.tombstoneMs >= 48 * HOUR,
    'at least 48 h for replay and tombstones',
  );
  t.equal(DEFAULT_TTLS.orderMs, 7 * 24 * HOUR);

  // Only the terminal registry and the two global indexes live without a TTL (they are pruned instead).
  const all = await admin.keys(`${h.lastPrefix}*`);
  const persistent: string[] = [];
  for (const key of all) if ((await admin.pttl(key)) < 0) persistent.push(key.slice(h.lastPrefix!.length));
  const allowed = ['{g}:push', '{g}:recover', '{g}:terminals'];
  t.ok(persistent.length > 0, 'the push index exists');
  t.same(
    persistent.filter((k) => !allowed.includes(k)),
    [],
    `no other key without a TTL (${persistent.join(', ')})`,
  );
});

t.test('lifetimes are configurable', async (t) => {
  const s = h.make({ ttls: { orderMs: HOUR, requestMs: 49 * HOUR } }) as RedisStore;
  const r = await s.beginPayment({ request: req(1), fingerprint: 'a', kind: 'sale', amountFen: 5 });
  if (r.status !== 'started') throw new Error('not started');
  const pttl = await h.admin!.pttl(s.keys.order(MID, r.order.rrn));
  t.ok(pttl > HOUR - 60_000 && pttl <= HOUR);
  t.ok((await h.admin!.pttl(s.keys.request(req(1)))) > 48 * HOUR);
});
