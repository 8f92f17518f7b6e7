import t from 'tap';
import { memoryHarness } from './harness.js';
import { req, storeSuite, TID, terminal } from './suite.js';

storeSuite(t, memoryHarness());

t.test(
  'memory store: a sweep pass goes in slices, serving the event loop in between, and removes what expired',
  async (t) => {
    const { MemoryStore } = await import('../../src/store/memory.js');
    let passes = 0;
    let swept: () => void = () => undefined;
    const s = new MemoryStore({
      ttls: { requestMs: 20, orderMs: 20 },
      sweepIntervalMs: 30,
      onSwept: () => {
        passes++;
        swept();
      },
    });
    t.teardown(() => s.close());
    // Enough entries for several slices: 12,000 sales, each a request, an order and its request index.
    for (let i = 1; i <= 12_000; i++) {
      const r = await s.beginPayment({ request: req(i), fingerprint: 'fp', kind: 'sale', amountFen: 1 });
      if (r.status !== 'started') throw new Error(r.status);
      await s.transition(r.order, { from: ['paying'], to: 'paid' });
    }
    let turns = 0;
    let spinning = true;
    const spin = () => {
      turns++;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    await new Promise<void>((resolve) => {
      swept = resolve;
    });
    spinning = false;
    t.ok(passes >= 1, 'a pass finished');
    t.ok(turns >= 5, `other work ran between the slices (${turns} turns)`);
    t.same(await s.listRecoverable(Date.now() + 3600_000, 10), [], 'nothing left to recover: the orders are gone');
    t.equal(await s.getOrderByRequest(req(1).tid, req(1).mid, req(1).batch, req(1).stan), undefined);
    const again = await s.beginPayment({ request: req(1), fingerprint: 'other', kind: 'sale', amountFen: 1 });
    t.equal(again.status, 'started', 'an expired request key is new again');
  },
);

t.test('memory store: the per-request terminal context is the stored record itself, deeply frozen', async (t) => {
  const { MemoryStore } = await import('../../src/store/memory.js');
  const s = new MemoryStore();
  t.teardown(() => s.close());
  await s.putTerminal(terminal(TID));
  await s.putSessionKeys(TID, { mak: 'MAK:1', pik: 'PIK:1', issuedAt: 1 }, 60_000);
  const a = await s.getTerminalContext(TID);
  const b = await s.getTerminalContext(TID);
  t.equal(a?.terminal, b?.terminal, 'no copy per request');
  t.equal(a?.session, b?.session, 'no copy of the working keys either');
  const frozen = (o: object | undefined): boolean =>
    o !== undefined && Object.isFrozen(o) && Object.values(o).every((v) => typeof v !== 'object' || frozen(v));
  t.ok(frozen(a?.terminal), 'terminal, merchant, limits and wallet accounts frozen');
  t.ok(frozen(a?.session), 'working keys frozen');
  t.throws(() => {
    if (a) (a.terminal.merchant.limits as { dailyAmountMaxFen?: number }).dailyAmountMaxFen = 1;
  }, TypeError);
  const own = await s.getTerminal(TID);
  t.notOk(own && Object.isFrozen(own), 'getTerminal gives the caller a copy it may change');
  t.not(own, a?.terminal);
  await s.putTerminal(terminal(TID, { batch: '000002' }));
  t.equal((await s.getTerminalContext(TID))?.terminal.batch, '000002', 'a write replaces the record');
  t.equal(a?.terminal.batch, '000001', 'what an earlier request read stays as it was');
});
