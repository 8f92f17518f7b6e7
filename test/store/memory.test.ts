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

t.test('memory store: pushes are listed per box, and expire from the listings and the sweep', async (t) => {
  const { MemoryStore } = await import('../../src/store/memory.js');
  let swept: () => void = () => undefined;
  const s = new MemoryStore({ ttls: { pushMs: 40 }, sweepIntervalMs: 20, onSwept: () => swept() });
  t.teardown(() => s.close());
  const now = Date.now();
  const put = (tid: string, rrn: string, payload: number) =>
    s.putPush({ mid: req(1).mid, tid, rrn, payload: new Uint8Array([payload]), nextAttemptAt: now, now });
  await put('T0000001', '060000000001', 1);
  await put('T0000002', '060000000002', 2);
  await put('T0000001', '060000000003', 3);
  const listed = await s.listPushesForTerminal(req(1).mid, 'T0000001');
  t.same(
    listed.map((p) => p.rrn),
    ['060000000001', '060000000003'],
  );
  listed[0].payload[0] = 99;
  t.same((await s.listPushesForTerminal(req(1).mid, 'T0000001'))[0].payload, new Uint8Array([1]), 'payload copied');
  t.ok(await s.ackPush(req(1).mid, 'T0000001', '060000000001'));
  t.same(
    (await s.listPushesForTerminal(req(1).mid, 'T0000001')).map((p) => p.rrn),
    ['060000000003'],
  );
  // Past the pushes' lifetime, then a whole sweep pass that started after it (the sweeper's timer
  // is unref'd: the interval keeps the test process up meanwhile).
  const alive = setInterval(() => undefined, 1_000);
  await new Promise((resolve) => setTimeout(resolve, 60));
  for (let pass = 0; pass < 2; pass++) {
    await new Promise<void>((resolve) => {
      swept = resolve;
    });
  }
  clearInterval(alive);
  t.same(await s.listPushesForTerminal(req(1).mid, 'T0000001'), [], 'expired');
  t.same(await s.listDuePushes(Date.now(), 10), []);
  t.notOk(await s.markPushSent(req(1).mid, 'T0000002', '060000000002', now), 'swept');
  await put('T0000002', '060000000002', 4);
  t.same(
    (await s.listPushesForTerminal(req(1).mid, 'T0000002')).map((p) => p.payload[0]),
    [4],
    'a push put again after expiry is listed once',
  );
});

t.test('memory store: what it keeps per sale does not pin the strings it was cut from', async (t) => {
  const v8 = await import('node:v8');
  const vm = await import('node:vm');
  const { MemoryStore } = await import('../../src/store/memory.js');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  // Each sale's fingerprint, masked code, wallet order id and event note are cut from a 256 KB text of
  // its own, as a decoded reply's fields are views of the reply: if any were kept as a view, the
  // store would hold 64 × 4 × 256 KB = 64 MB.
  const SALES = 64;
  const text = (i: number, what: string) =>
    `${what}-${String(i).padStart(24, '0')}|${'0123456789abcdef'.repeat(16_384)}`;
  /** The text's first 30 or so characters: a sliced string, a view of the whole text. */
  const cut = (s: string) => s.slice(0, s.indexOf('|'));
  const s = new MemoryStore();
  t.teardown(() => s.close());
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 1; i <= SALES; i++) {
    const begun = await s.beginPayment({
      request: req(i),
      fingerprint: cut(text(i, 'fp')),
      kind: 'sale',
      amountFen: 1,
      paymentCodeMasked: cut(text(i, 'code')),
    });
    if (begun.status !== 'started') throw new Error(begun.status);
    await s.transition(begun.order, {
      from: ['paying'],
      to: 'paid',
      patch: { channelOrderId: cut(text(i, 'order')) },
      note: cut(text(i, 'note')),
    });
  }
  gc();
  const kept = process.memoryUsage().heapUsed - before;
  t.ok(kept < 4 * 1024 * 1024, `${SALES} sales keep ${(kept / 1024).toFixed(0)} KB (64 MB if their texts were kept)`);
  const order = await s.getOrderByRequest(TID, req(SALES).mid, req(SALES).batch, req(SALES).stan);
  t.equal(order?.channelOrderId, cut(text(SALES, 'order')), 'the copies read back as given');
  t.equal(order?.paymentCodeMasked, cut(text(SALES, 'code')));
  t.equal(order?.events.at(-1)?.note, cut(text(SALES, 'note')));
  const again = await s.beginPayment({
    request: req(SALES),
    fingerprint: cut(text(SALES, 'fp')),
    kind: 'sale',
    amountFen: 1,
  });
  t.equal(again.status, 'in-progress', 'the fingerprint still matches its request (no mismatch)');
});

t.test(
  "memory store: a transition's response finishes the request that began the order, or the request it names",
  async (t) => {
    const { MemoryStore } = await import('../../src/store/memory.js');
    const s = new MemoryStore();
    t.teardown(() => s.close());
    const begun = await s.beginPayment({ request: req(1), fingerprint: 'fp1', kind: 'sale', amountFen: 1 });
    if (begun.status !== 'started') throw new Error(begun.status);
    // Another request's answer stored by a transition of this order (as a query or recovery would).
    t.equal((await s.claimRequest(req(2, { mti: '0100' }), 'fp2')).status, 'claimed');
    await s.transition(begun.order, {
      from: ['paying'],
      to: 'unknown',
      response: { request: req(2, { mti: '0100' }), bytes: Buffer.from('Q') },
    });
    t.same(await s.claimRequest(req(2, { mti: '0100' }), 'fp2'), { status: 'replay', response: Buffer.from('Q') });
    t.same(await s.beginPayment({ request: req(1), fingerprint: 'fp1', kind: 'sale', amountFen: 1 }), {
      status: 'in-progress',
      rrn: begun.order.rrn,
    });
    // The order's own answer, given in copies of its request key (not the objects it began with).
    await s.transition(begun.order, {
      from: ['unknown'],
      to: 'paid',
      response: { request: { ...req(1) }, bytes: Buffer.from('S') },
    });
    t.same(await s.beginPayment({ request: req(1), fingerprint: 'fp1', kind: 'sale', amountFen: 1 }), {
      status: 'replay',
      response: Buffer.from('S'),
    });
    // Stored once: a second answer for the same request does not replace the first.
    await s.transition(begun.order, {
      from: ['paid'],
      to: 'paid',
      response: { request: req(1), bytes: Buffer.from('X') },
    });
    t.same(await s.beginPayment({ request: req(1), fingerprint: 'fp1', kind: 'sale', amountFen: 1 }), {
      status: 'replay',
      response: Buffer.from('S'),
    });
  },
);

t.test('memory store: an order finished without its answer still stores it later, by its request key', async (t) => {
  const { MemoryStore } = await import('../../src/store/memory.js');
  const s = new MemoryStore();
  t.teardown(() => s.close());
  const begun = await s.beginPayment({ request: req(3), fingerprint: 'fp', kind: 'sale', amountFen: 1 });
  if (begun.status !== 'started') throw new Error(begun.status);
  await s.transition(begun.order, { from: ['paying'], to: 'failed' });
  await s.completeRequest(req(3), Buffer.from('F'));
  t.same(await s.beginPayment({ request: req(3), fingerprint: 'fp', kind: 'sale', amountFen: 1 }), {
    status: 'replay',
    response: Buffer.from('F'),
  });
});

t.test(
  "memory store: once the request's record has expired, the answer goes to a later request under its key",
  async (t) => {
    const { MemoryStore } = await import('../../src/store/memory.js');
    const s = new MemoryStore({ ttls: { requestMs: 30 } });
    t.teardown(() => s.close());
    const begun = await s.beginPayment({ request: req(4), fingerprint: 'old', kind: 'sale', amountFen: 1 });
    if (begun.status !== 'started') throw new Error(begun.status);
    await new Promise((r) => setTimeout(r, 60));
    t.equal((await s.claimRequest(req(4), 'new')).status, 'claimed', 'the key is new again');
    await s.transition(begun.order, {
      from: ['paying'],
      to: 'paid',
      response: { request: req(4), bytes: Buffer.from('A') },
    });
    t.same(
      await s.claimRequest(req(4), 'new'),
      { status: 'replay', response: Buffer.from('A') },
      'as the lookup by key always did: the live record under the key is finished',
    );
  },
);

t.test(
  "memory store: a transition finds the order from the caller's copy, a copy of it, or its key alone",
  async (t) => {
    const { MemoryStore } = await import('../../src/store/memory.js');
    const s = new MemoryStore();
    const other = new MemoryStore();
    t.teardown(() => Promise.all([s.close(), other.close()]));
    const begin = async (stan: number) => {
      const r = await s.beginPayment({ request: req(stan), fingerprint: 'fp', kind: 'sale', amountFen: 1 });
      if (r.status !== 'started') throw new Error(r.status);
      return r.order;
    };
    const handed = await begin(5);
    t.equal((await s.transition(handed, { from: ['paying'], to: 'unknown' })).status, 'ok', 'the copy handed out');
    t.equal((await s.transition({ ...handed }, { from: ['unknown'], to: 'paying' })).status, 'ok', 'a spread copy');
    const byKey = (await s.getOrder(handed.mid, handed.rrn)) as typeof handed;
    t.equal((await s.transition(byKey, { from: ['paying'], to: 'paid' })).status, 'ok', 'a copy read by key');
    t.equal((await s.getOrder(handed.mid, handed.rrn))?.state, 'paid');

    // The handed-out copy relabelled with another order's RRN changes that order, not its own.
    const second = await begin(6);
    const relabelled = Object.assign(handed, { rrn: second.rrn });
    t.equal((await s.transition(relabelled, { from: ['paying'], to: 'failed' })).status, 'ok');
    t.equal((await s.getOrder(second.mid, second.rrn))?.state, 'failed');
    t.equal((await s.getOrder(handed.mid, byKey.rrn))?.state, 'paid', 'the first order untouched');

    // Another store's copy is not this store's order, whatever its mark (its third sale, as here).
    for (const stan of [5, 6])
      await other.beginPayment({ request: req(stan), fingerprint: 'fp', kind: 'sale', amountFen: 1 });
    const foreign = await other.beginPayment({ request: req(7), fingerprint: 'fp', kind: 'sale', amountFen: 1 });
    if (foreign.status !== 'started') throw new Error(foreign.status);
    const mine = await begin(7);
    t.equal(mine.rrn, foreign.order.rrn, 'the same RRN in both stores');
    t.equal(
      (await s.transition(foreign.order, { from: ['paying'], to: 'paid' })).status,
      'ok',
      'found by its key here',
    );
    t.equal(
      (await other.getOrder(foreign.order.mid, foreign.order.rrn))?.state,
      'paying',
      "the other store's order untouched",
    );
    t.equal((await s.getOrder(mine.mid, mine.rrn))?.state, 'paid');
  },
);

t.test('memory store: recovery lists unfinished orders when due and forgets finished and expired ones', async (t) => {
  const { MemoryStore } = await import('../../src/store/memory.js');
  const s = new MemoryStore({ recoveryDelayMs: 0, ttls: { orderMs: 40 } });
  t.teardown(() => s.close());
  const orders = [];
  for (const stan of [11, 12, 13]) {
    const r = await s.beginPayment({ request: req(stan), fingerprint: 'fp', kind: 'sale', amountFen: 1 });
    if (r.status !== 'started') throw new Error(r.status);
    orders.push(r.order);
  }
  await s.transition(orders[0], { from: ['paying'], to: 'paid' });
  await s.scheduleCheck(orders[2], Date.now() + 3600_000);
  t.same(
    (await s.listRecoverable(Date.now(), 10)).map((o) => o.rrn),
    [orders[1].rrn],
    'the paid one gone, the rescheduled one not yet due',
  );
  t.same(
    (await s.listRecoverable(Date.now() + 7200_000, 10)).map((o) => o.rrn),
    [orders[1].rrn, orders[2].rrn],
  );
  await new Promise((r) => setTimeout(r, 60));
  t.same(await s.listRecoverable(Date.now() + 7200_000, 10), [], 'expired orders are not recovered');
});

t.test("memory store: a batch's totals live batchMs after their last change, each change renewing them", async (t) => {
  const { MemoryStore } = await import('../../src/store/memory.js');
  const s = new MemoryStore({ ttls: { batchMs: 300 } });
  t.teardown(() => s.close());
  const paidSale = async (stan: number, amountFen: number) => {
    const r = await s.beginPayment({ request: req(stan), fingerprint: `f${stan}`, kind: 'sale', amountFen });
    if (r.status !== 'started') throw new Error(r.status);
    await s.transition(r.order, { from: ['paying'], to: 'paid' });
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const { mid, tid, batch } = req(1);
  await paidSale(1, 100);
  await sleep(200);
  await paidSale(2, 20);
  await sleep(200);
  t.same(
    await s.getBatchTotals(mid, tid, batch),
    { debitFen: 120, debitCount: 2, creditFen: 0, creditCount: 0 },
    '400 ms after the first sale, 200 ms after the second: renewed by it',
  );
  t.same(
    await s.getBatchTotals(mid, tid, '000002'),
    { debitFen: 0, debitCount: 0, creditFen: 0, creditCount: 0 },
    'another batch of the same box: nothing',
  );
  await sleep(250);
  t.same(
    await s.getBatchTotals(mid, tid, batch),
    { debitFen: 0, debitCount: 0, creditFen: 0, creditCount: 0 },
    'gone batchMs after the last change',
  );
  await paidSale(3, 7);
  t.same(
    await s.getBatchTotals(mid, tid, batch),
    { debitFen: 7, debitCount: 1, creditFen: 0, creditCount: 0 },
    'begun again',
  );
});
