// Wallet faults from the sandboxes' own fault injection — system errors, dropped connections, slow
// answers past boxfep's wallet timeout, duplicated and reordered notifications — plus the payment
// codes whose money moves without a clean answer: afterwards every order is final and the ledgers
// agree with the store (none paid twice, none paid without a record).
import t from 'tap';
import { precreateRequest, saleRequest } from '../../src/box/messages.js';
import { FINAL_STATES } from '../../src/store/store.js';
import { startRedis } from './redis-procs.js';
import { alCode, checkConsistency, eventually, MID, type SentRequest, startWorld, wxCode } from './world.js';

const redis = await startRedis();
const world = await startWorld(redis.url, {
  seed: 7,
  faults: {
    errorRate: 0.15,
    dropRate: 0.1,
    slowRate: 0.1,
    slowMs: 1_200,
    duplicateNotifyRate: 0.5,
    reorderNotify: true,
  },
});
t.teardown(async () => {
  await world.close();
  await redis.destroy();
});

t.test('faulty wallets never leave money without a record', async (t) => {
  const node = await world.startNode('faults');
  t.teardown(() => world.stopNodes());
  const boxes = [await world.box(node, '86000001'), await world.box(node, '86000002')];
  // approve, user-paying then approve, user-paying forever, insufficient funds, system error but paid.
  const endings = ['10', '81', '86', '91', '95', '11', '20', '83'];
  const sent: SentRequest[] = [];
  const rcs: string[] = [];
  const work = boxes.map(async (box, b) => {
    for (let i = 0; i < 12; i++) {
      const stan = box.nextStan();
      const id = { tid: box.tid, mid: MID, batch: box.batch };
      sent.push({ ...id, stan });
      const ending = endings[(i + b) % endings.length]!;
      const req =
        i % 4 === 3
          ? precreateRequest(id, stan, 500 + i, 'AL')
          : saleRequest(id, stan, 300 + i, (i + b) % 2 ? alCode(ending) : wxCode(ending));
      const r = await box.exchange(req).catch(() => undefined);
      rcs.push(r?.rc ?? 'none');
    }
  });
  await Promise.all(work);
  t.comment(`answers: ${rcs.join(' ')}`);
  t.ok(
    rcs.every((rc) => rc !== 'none'),
    'every request answered',
  );
  const final = await eventually(async () => {
    for (const s of sent) {
      const o = await world.store.getOrderByRequest(s.tid, MID, s.batch, s.stan);
      if (o && !FINAL_STATES.includes(o.state)) return false;
    }
    return true;
  }, 30_000);
  t.ok(final, 'every order final');
  const { orders, problems } = await checkConsistency(world, sent);
  t.same(problems, [], 'ledger and store agree');
  const byState: Record<string, number> = {};
  for (const o of orders) byState[o.state] = (byState[o.state] ?? 0) + 1;
  t.comment(`orders by state: ${JSON.stringify(byState)}`);
  t.ok(orders.length === sent.length, `${orders.length} orders for ${sent.length} requests`);
  const notified = world.ledger().filter((l) => l.kind === 'c2b' && l.state === 'paid').length;
  t.ok(notified >= 1, `${notified} C2B orders paid through duplicated / reordered notifications`);
});
