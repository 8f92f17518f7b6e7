// The one behaviour suite every store backend must pass: memory, Redis, Redis Cluster.
import type { Test } from 'tap';
import { businessDay, parseOutTradeNo } from '../../src/store/ids.js';
import {
  type BeginPaymentResult,
  type Order,
  type RequestKey,
  type Store,
  StoreInputError,
  StoreUnavailableError,
  type TerminalContext,
  type TransitionInput,
} from '../../src/store/store.js';
import type { TerminalRecord } from '../../src/terminals/types.js';
import type { StoreHarness } from './harness.js';

export const MID = 'M00000000000001';
export const TID = 'T0000001';
const NOW = Date.UTC(2025, 2, 1, 4, 0, 0); // 2025-03-01 12:00 in Shanghai: day 060

export function req(stan: number, over: Partial<RequestKey> = {}): RequestKey {
  return { tid: TID, mid: MID, batch: '000001', stan: String(stan).padStart(6, '0'), mti: '0200', ...over };
}

const bytes = (s: string) => new TextEncoder().encode(s);

export function terminal(tid: string, over: Partial<TerminalRecord> = {}): TerminalRecord {
  return {
    tid,
    mid: MID,
    status: 'active',
    keyMode: 'session',
    mac: 'cups-ecb',
    tmk: 'AABBCCDDEEFF00112233445566778899:1234',
    batch: '000001',
    merchant: {
      mid: MID,
      name: 'Test shop',
      limits: { dailyAmountMaxFen: 100_000 },
      wallets: { WX: { appId: 'wx1', merchantId: '1900' } },
    },
    createdAt: NOW,
    updatedAt: NOW,
    ...over,
  };
}

/** What a context says, whether or not it came from a node's terminal cache (marked `cached`). */
function contents(ctx: TerminalContext | undefined): Omit<TerminalContext, 'cached'> | undefined {
  return ctx && { terminal: ctx.terminal, session: ctx.session, macFailures: ctx.macFailures };
}

function started(r: BeginPaymentResult | { status: string }): Order {
  if (r.status !== 'started' || !('order' in r)) throw new Error(`expected started, got ${JSON.stringify(r)}`);
  return r.order;
}

/** A paid sale of `amountFen`, ready for refunds. */
async function paidSale(s: Store, stan: number, amountFen: number): Promise<Order> {
  const o = started(
    await s.beginPayment({
      request: req(stan),
      fingerprint: `f${stan}`,
      kind: 'sale',
      amountFen,
      wallet: 'WX',
      now: NOW,
    }),
  );
  const r = await s.transition(o, { from: ['paying'], to: 'paid', now: NOW + 1 });
  if (r.status !== 'ok') throw new Error('could not pay');
  return r.order;
}

/** A precreate (request 1) paid by a transition at `now` that queues `push`; the order as begun. */
async function precreatePaidWithPush(s: Store, now: number, push: TransitionInput['push']): Promise<Order> {
  const o = started(
    await s.beginPayment({ request: req(1), fingerprint: 'p', kind: 'precreate', amountFen: 88, now: NOW }),
  );
  const paid = await s.transition(o, { from: ['created', 'paying'], to: 'paid', push, now });
  if (paid.status !== 'ok') throw new Error(`could not pay: ${paid.status}`);
  return o;
}

export function storeSuite(t: Test, h: StoreHarness): void {
  const fresh = (opts?: Parameters<StoreHarness['make']>[0]) => h.make(opts);
  t.teardown(() => h.cleanup());

  t.test('terminals: upsert, get, list; values are copies', async (t) => {
    const s = fresh();
    t.equal(await s.getTerminal('T0000009'), undefined);
    await s.putTerminal(terminal('T0000002'));
    await s.putTerminal(terminal('T0000001'));
    await s.putTerminal(terminal('T0000002', { batch: '000007', status: 'disabled' }));
    const got = await s.getTerminal('T0000002');
    t.equal(got?.batch, '000007');
    t.equal(got?.status, 'disabled');
    t.same(got?.merchant.limits, { dailyAmountMaxFen: 100_000 });
    const list = await s.listTerminals();
    t.same(
      list.map((r) => r.tid),
      ['T0000001', 'T0000002'],
    );
    if (got) got.batch = '999999';
    t.equal((await s.getTerminal('T0000002'))?.batch, '000007', 'mutating a returned record changes nothing');
    await t.rejects(s.putTerminal(terminal('T{0001}')), StoreInputError);
  });

  t.test('session keys expire and can be deleted; MAC failures count and reset', async (t) => {
    const s = fresh();
    const keys = { mak: 'MAK:1', pik: 'PIK:1', issuedAt: NOW };
    await s.putSessionKeys(TID, keys, 60_000);
    t.same(await s.getSessionKeys(TID), keys);
    await s.deleteSessionKeys(TID);
    t.equal(await s.getSessionKeys(TID), undefined);
    await s.putSessionKeys(TID, keys, 40);
    await new Promise((r) => setTimeout(r, 120));
    t.equal(await s.getSessionKeys(TID), undefined, 'gone after its lifetime');
    t.equal(await s.incrMacFailures(TID), 1);
    t.equal(await s.incrMacFailures(TID), 2);
    t.equal(await s.incrMacFailures('T0000002'), 1, 'per terminal');
    await s.resetMacFailures(TID);
    t.equal(await s.incrMacFailures(TID), 1);
    await t.rejects(s.putSessionKeys(TID, keys, 0), StoreInputError);
  });

  t.test('getTerminalContext reads the terminal, its working keys and its MAC-failure count at once', async (t) => {
    const s = fresh();
    t.equal(await s.getTerminalContext(TID), undefined, 'unknown terminal');
    await s.putTerminal(terminal(TID));
    t.same(contents(await s.getTerminalContext(TID)), { terminal: terminal(TID), session: undefined, macFailures: 0 });
    const keys = { mak: 'MAK:1', pik: 'PIK:1', issuedAt: NOW };
    await s.putSessionKeys(TID, keys, 60_000);
    await s.incrMacFailures(TID);
    await s.incrMacFailures(TID);
    const ctx = await s.getTerminalContext(TID);
    t.same(ctx, { terminal: terminal(TID), session: keys, macFailures: 2 });
    // The memory store hands out its own frozen records (a write throws), Redis fresh copies: either
    // way, nothing a caller does to what it read reaches the store.
    if (ctx) {
      const writes: [string, () => void][] = [
        ['batch', () => Object.assign(ctx.terminal, { batch: '999999' })],
        ['merchant', () => Object.assign(ctx.terminal.merchant, { mid: 'M99999999999999' })],
        ['limits', () => Object.assign(ctx.terminal.merchant.limits, { dailyAmountMaxFen: 1 })],
        ['wallet account', () => Object.assign(ctx.terminal.merchant.wallets.WX ?? {}, { appId: 'stolen' })],
        ['wallets', () => Object.assign(ctx.terminal.merchant.wallets, { UP: { appId: 'x', merchantId: 'y' } })],
        ['session', () => Object.assign(ctx.session ?? {}, { mak: 'changed' })],
      ];
      for (const [what, write] of writes) {
        try {
          write();
        } catch (err) {
          t.type(err, TypeError, `writing the ${what} is refused, if at all, by a frozen record`);
        }
      }
    }
    t.same(
      contents(await s.getTerminalContext(TID)),
      { terminal: terminal(TID), session: keys, macFailures: 2 },
      'own copies',
    );
    t.same(await s.getTerminal(TID), terminal(TID), 'the stored terminal is unchanged');
    const mine = terminal(TID);
    await s.putTerminal(mine);
    mine.merchant.limits.dailyAmountMaxFen = 1;
    mine.batch = '999999';
    t.same((await s.getTerminalContext(TID))?.terminal, terminal(TID), 'writing what was put changes nothing');
    const copy = await s.getTerminal(TID);
    if (copy) {
      copy.status = 'disabled';
      copy.merchant.name = 'changed';
      await s.putTerminal(copy);
    }
    t.same(
      (await s.getTerminalContext(TID))?.terminal,
      { ...terminal(TID), status: 'disabled', merchant: { ...terminal(TID).merchant, name: 'changed' } },
      'a copy from getTerminal may be changed and put back (admin commands do)',
    );
    await s.putTerminal(terminal(TID));
    await s.resetMacFailures(TID);
    t.equal((await s.getTerminalContext(TID))?.macFailures, 0, 'reset');
    // Working keys are read only for a terminal that uses them (as the pipeline did before).
    await s.putTerminal(terminal('T0000002', { keyMode: 'dukpt-tdes' }));
    await s.putSessionKeys('T0000002', keys, 60_000);
    await s.incrMacFailures('T0000002');
    t.same(contents(await s.getTerminalContext('T0000002')), {
      terminal: terminal('T0000002', { keyMode: 'dukpt-tdes' }),
      session: undefined,
      macFailures: 1,
    });
    t.equal(await s.getTerminalContext('T{0001}'), undefined, 'a TID that cannot be a key is not found');
  });

  t.test('beginPayment writes an order findable by RRN, request and outTradeNo', async (t) => {
    const s = fresh();
    const r = await s.beginPayment({
      request: req(1),
      fingerprint: 'a',
      kind: 'sale',
      amountFen: 1234,
      wallet: 'WX',
      paymentCodeMasked: '13********1234',
      limits: { dailyAmountMaxFen: 10_000 },
      now: NOW,
    });
    const o = started(r);
    t.match(o.rrn, /^060\d{9}$/, 'RRN = day of year + 9-digit sequence');
    t.equal(o.state, 'paying');
    t.equal(o.limitDay, businessDay(NOW));
    t.same(parseOutTradeNo(o.outTradeNo), { mid: MID, rrn: o.rrn });
    t.equal(o.outTradeNo.length, 29);
    t.same(await s.getOrder(MID, o.rrn), o);
    t.same(await s.getOrderByRequest(TID, MID, '000001', '000001'), o);
    t.same(await s.getOrderByOutTradeNo(o.outTradeNo), o);
    t.equal(await s.getOrderByOutTradeNo('nonsense'), undefined);
    t.equal(await s.getOrder(MID, '060999999999'), undefined);
    t.same(await s.getDailyCounters(MID, businessDay(NOW)), { amountFen: 1234, count: 1 });
    const pre = started(
      await s.beginPayment({ request: req(2), fingerprint: 'b', kind: 'precreate', amountFen: 5, now: NOW }),
    );
    t.equal(pre.state, 'created');
    t.not(pre.rrn, o.rrn, 'RRNs are unique');
    t.equal(pre.limitDay, undefined, 'no limits → not counted');
  });

  t.test('duplicates: in-progress, replay of the stored response, mismatch → 94', async (t) => {
    const s = fresh();
    const o = started(
      await s.beginPayment({ request: req(1), fingerprint: 'same', kind: 'sale', amountFen: 100, now: NOW }),
    );
    t.same(await s.beginPayment({ request: req(1), fingerprint: 'same', kind: 'sale', amountFen: 100, now: NOW }), {
      status: 'in-progress',
      rrn: o.rrn,
    });
    t.same(await s.beginPayment({ request: req(1), fingerprint: 'other', kind: 'sale', amountFen: 999, now: NOW }), {
      status: 'mismatch',
    });
    const done = await s.transition(o, {
      from: ['paying'],
      to: 'paid',
      response: { request: req(1), bytes: bytes('RESP-00') },
    });
    t.equal(done.status, 'ok');
    const replay = await s.beginPayment({
      request: req(1),
      fingerprint: 'same',
      kind: 'sale',
      amountFen: 100,
      now: NOW,
    });
    t.equal(replay.status, 'replay');
    if (replay.status === 'replay') t.same(Buffer.from(replay.response).toString(), 'RESP-00');
    t.equal(
      (await s.beginPayment({ request: req(1, { mti: '0220' }), fingerprint: 'x', kind: 'sale', amountFen: 1 })).status,
      'started',
      'another MTI is another request',
    );
    // Requests that create no order: claim, complete, replay.
    const q = req(50);
    t.same(await s.claimRequest(q, 'q'), { status: 'claimed' });
    t.same(await s.claimRequest(q, 'q'), { status: 'in-progress' });
    await s.completeRequest(q, bytes('Q-RESP'));
    await s.completeRequest(q, bytes('IGNORED'));
    const r2 = await s.claimRequest(q, 'q');
    t.equal(r2.status === 'replay' && Buffer.from(r2.response).toString(), 'Q-RESP', 'first completion wins');
    t.same(await s.claimRequest(q, 'q2'), { status: 'mismatch' });
  });

  t.test('reversal before the original leaves a tombstone; after it, returns the original', async (t) => {
    const s = fresh();
    const rev = await s.beginReversal({ request: req(7, { mti: '0400' }), fingerprint: 'r' });
    t.same(rev, { status: 'started' }, 'no original: tombstone');
    t.same(await s.beginPayment({ request: req(7), fingerprint: 'a', kind: 'sale', amountFen: 100 }), {
      status: 'reversed',
    });
    t.same(await s.claimRequest(req(7), 'a'), { status: 'reversed' });
    t.same(await s.beginReversal({ request: req(7, { mti: '0400' }), fingerprint: 'r' }), { status: 'in-progress' });
    await s.completeRequest(req(7, { mti: '0400' }), bytes('R-00'));
    const again = await s.beginReversal({ request: req(7, { mti: '0400' }), fingerprint: 'r' });
    t.equal(again.status, 'replay', 'a repeated reversal replays its answer');

    const o = started(
      await s.beginPayment({
        request: req(8),
        fingerprint: 'a',
        kind: 'sale',
        amountFen: 100,
        limits: { dailyCountMax: 5 },
        now: NOW,
      }),
    );
    const paid = await s.transition(o, { from: ['paying'], to: 'paid', now: NOW });
    t.same((await s.getBatchTotals(MID, TID, '000001')).debitCount, 1);
    const rev2 = await s.beginReversal({ request: req(8, { mti: '0400' }), fingerprint: 'r' });
    t.equal(rev2.status, 'started');
    t.equal(rev2.status === 'started' && rev2.original?.rrn, o.rrn);
    if (paid.status !== 'ok') throw new Error('not paid');
    const cancelled = await s.transition(paid.order, { from: ['paying', 'paid'], to: 'cancelled', note: 'reversal' });
    t.equal(cancelled.status, 'ok');
    t.same(
      await s.getBatchTotals(MID, TID, '000001'),
      { debitFen: 0, debitCount: 0, creditFen: 0, creditCount: 0 },
      'reversed sale leaves the totals',
    );
    t.same(await s.getDailyCounters(MID, businessDay(NOW)), { amountFen: 0, count: 0 }, 'and the daily limits');
  });

  t.test('merchant limits: per transaction, daily amount, daily count; released when a sale fails', async (t) => {
    const s = fresh();
    const limits = { perTransactionMaxFen: 5000, dailyAmountMaxFen: 8000, dailyCountMax: 3 };
    const begin = (stan: number, amountFen: number) =>
      s.beginPayment({ request: req(stan), fingerprint: `f${stan}`, kind: 'sale', amountFen, limits, now: NOW });
    t.same(await begin(1, 5001), { status: 'limit', limit: 'per-transaction' });
    const a = started(await begin(2, 5000));
    t.same(await begin(3, 3001), { status: 'limit', limit: 'daily-amount' });
    started(await begin(4, 1000));
    started(await begin(5, 1000));
    t.same(await begin(6, 1), { status: 'limit', limit: 'daily-count' });
    t.same(await s.getDailyCounters(MID, businessDay(NOW)), { amountFen: 7000, count: 3 });
    t.same(
      await begin(1, 5001),
      { status: 'in-progress' },
      'a refused request is claimed: its duplicate waits for the stored answer',
    );
    const failed = await s.transition(a, { from: ['paying'], to: 'failed' });
    t.equal(failed.status === 'ok' && failed.order.limitDay, undefined);
    t.same(await s.getDailyCounters(MID, businessDay(NOW)), { amountFen: 2000, count: 2 }, 'released');
    started(await begin(7, 5000));
    const again = await s.transition(a, { from: ['failed', 'paying'], to: 'closed' });
    t.equal(again.status, 'ok');
    t.same(await s.getDailyCounters(MID, businessDay(NOW)), { amountFen: 7000, count: 3 }, 'never released twice');
  });

  t.test('transitions are compare-and-set, keep a capped history, patch fields', async (t) => {
    const s = fresh();
    const o = started(
      await s.beginPayment({ request: req(1), fingerprint: 'a', kind: 'sale', amountFen: 300, now: NOW }),
    );
    const conflict = await s.transition(o, { from: ['created'], to: 'paid' });
    t.equal(conflict.status, 'conflict');
    t.equal(conflict.status === 'conflict' && conflict.order.state, 'paying');
    const ok = await s.transition(o, {
      from: ['paying'],
      to: 'paid',
      patch: { channelOrderId: '4200000001', wallet: 'WX' },
      note: 'wallet SUCCESS',
      now: NOW + 5,
    });
    if (ok.status !== 'ok') throw new Error('transition failed');
    t.equal(ok.order.channelOrderId, '4200000001');
    t.equal(ok.order.wallet, 'WX');
    t.equal(ok.order.updatedAt, NOW + 5);
    t.same(ok.order.events.at(-1), { at: NOW + 5, state: 'paid', note: 'wallet SUCCESS' });
    t.same(await s.getOrder(MID, o.rrn), ok.order, 'stored as returned');
    t.same(await s.getBatchTotals(MID, TID, '000001'), { debitFen: 300, debitCount: 1, creditFen: 0, creditCount: 0 });
    let cur = ok.order;
    for (let i = 0; i < 30; i++) {
      const r = await s.transition(cur, {
        from: ['paid', 'unknown'],
        to: i % 2 ? 'paid' : 'unknown',
        now: NOW + 10 + i,
      });
      if (r.status !== 'ok') throw new Error('loop transition failed');
      cur = r.order;
    }
    t.equal(cur.events.length, 12, 'history capped');
    t.equal(cur.events.at(-1)?.at, NOW + 39);
    const missing = { ...o, rrn: '060000009999' };
    t.same(await s.transition(missing, { from: ['paying'], to: 'paid' }), { status: 'not-found' });
  });

  t.test('a statusOnly transition answers ok without the order, does everything else the same', async (t) => {
    const s = fresh();
    const o = started(
      await s.beginPayment({ request: req(2), fingerprint: 'a', kind: 'sale', amountFen: 300, now: NOW }),
    );
    const conflict = await s.transition(o, { from: ['created'], to: 'paid', statusOnly: true });
    t.equal(conflict.status === 'conflict' && conflict.order.state, 'paying', 'a conflict still shows the order');
    const ok = await s.transition(o, {
      from: ['paying'],
      to: 'paid',
      note: 'wallet SUCCESS',
      response: { request: req(2), bytes: bytes('R2') },
      statusOnly: true,
      now: NOW + 5,
    });
    t.same(ok, { status: 'ok' });
    t.notOk('order' in ok, 'no order on ok');
    const stored = await s.getOrder(MID, o.rrn);
    t.equal(stored?.state, 'paid');
    t.same(stored?.events.at(-1), { at: NOW + 5, state: 'paid', note: 'wallet SUCCESS' });
    const replay = await s.beginPayment({ request: req(2), fingerprint: 'a', kind: 'sale', amountFen: 300, now: NOW });
    t.same(replay.status === 'replay' && Buffer.from(replay.response).toString(), 'R2', 'the response was stored');
    t.same(await s.getBatchTotals(MID, TID, '000001'), { debitFen: 300, debitCount: 1, creditFen: 0, creditCount: 0 });
  });

  t.test('refunds: partial up to the paid amount, reservations released on failure, credit totals', async (t) => {
    const s = fresh();
    const sale = await paidSale(s, 1, 1000);
    const refund = (stan: number, amountFen: number, fp = `r${stan}`) =>
      s.beginRefund({
        request: req(stan, { mti: '0220' }),
        fingerprint: fp,
        kind: 'refund',
        amountFen,
        originalRrn: sale.rrn,
        now: NOW,
      });
    const r1 = await refund(10, 400);
    if (r1.status !== 'started') throw new Error(`refund not started: ${r1.status}`);
    t.equal(r1.original.refundPendingFen, 400);
    t.equal(r1.order.parentRrn, sale.rrn);
    t.equal(r1.order.wallet, 'WX', 'refund inherits the wallet');
    const over = await refund(11, 601);
    t.equal(over.status, 'exceeds');
    t.equal(over.status === 'exceeds' && over.remainingFen, 600);
    const r2 = await refund(12, 600);
    if (r2.status !== 'started') throw new Error('second refund not started');
    t.equal((await refund(13, 1)).status, 'exceeds', 'all reserved');
    t.equal((await s.transition(r2.order, { from: ['paying'], to: 'failed' })).status, 'ok');
    t.equal((await s.getOrder(MID, sale.rrn))?.refundPendingFen, 400, 'failed refund released its reservation');
    const done = await s.transition(r1.order, { from: ['paying'], to: 'paid' });
    t.equal(done.status, 'ok');
    const parent = await s.getOrder(MID, sale.rrn);
    t.equal(parent?.state, 'partially_refunded');
    t.equal(parent?.refundedFen, 400);
    t.equal(parent?.refundPendingFen, 0);
    const r3 = await refund(14, 600);
    if (r3.status !== 'started') throw new Error('third refund not started');
    await s.transition(r3.order, { from: ['paying'], to: 'paid' });
    t.equal((await s.getOrder(MID, sale.rrn))?.state, 'refunded');
    t.same(await s.getBatchTotals(MID, TID, '000001'), {
      debitFen: 1000,
      debitCount: 1,
      creditFen: 1000,
      creditCount: 2,
    });
    t.same(await refund(15, 1), { status: 'not-allowed', reason: 'state', original: await s.getOrder(MID, sale.rrn) });
    t.same(
      await s.beginRefund({
        request: req(16, { mti: '0220' }),
        fingerprint: 'x',
        kind: 'refund',
        amountFen: 1,
        originalRrn: '060000000999',
      }),
      {
        status: 'original-not-found',
      },
    );
    t.same(await refund(10, 400), { status: 'in-progress', rrn: r1.order.rrn }, 'a refund request is idempotent');
  });

  t.test('void: same batch, full amount, untouched sale', async (t) => {
    const s = fresh();
    const sale = await paidSale(s, 1, 700);
    const voidOf = (stan: number, amountFen: number, batch = '000001') =>
      s.beginRefund({
        request: req(stan, { batch }),
        fingerprint: `v${stan}`,
        kind: 'void',
        amountFen,
        originalRrn: sale.rrn,
        now: NOW,
      });
    const wrongBatch = await voidOf(2, 700, '000002');
    t.equal(wrongBatch.status === 'not-allowed' && wrongBatch.reason, 'batch');
    const wrongAmount = await voidOf(3, 699);
    t.equal(wrongAmount.status === 'not-allowed' && wrongAmount.reason, 'amount');
    const v = await voidOf(4, 700);
    if (v.status !== 'started') throw new Error('void not started');
    t.equal(v.order.kind, 'void');
    const second = await voidOf(5, 700);
    t.equal(second.status === 'not-allowed' && second.reason, 'state', 'one void only');
    await s.transition(v.order, { from: ['paying'], to: 'paid' });
    t.equal((await s.getOrder(MID, sale.rrn))?.state, 'refunded');
    t.same(await s.getBatchTotals(MID, TID, '000001'), {
      debitFen: 700,
      debitCount: 1,
      creditFen: 700,
      creditCount: 1,
    });
  });

  t.test('pushes: queued with a transition, listed per box and when due, sent, acknowledged', async (t) => {
    const s = fresh();
    const now = Date.now();
    const o = await precreatePaidWithPush(s, now, { payload: bytes('0620-A'), nextAttemptAt: now });
    const mine = await s.listPushesForTerminal(MID, TID);
    t.equal(mine.length, 1);
    t.equal(mine[0]?.rrn, o.rrn);
    t.equal(mine[0]?.attempts, 0);
    t.equal(Buffer.from(mine[0]?.payload ?? []).toString(), '0620-A');
    t.equal(mine[0]?.expiresAt, now + 24 * 3600_000);
    t.same(await s.listPushesForTerminal(MID, 'T0000002'), []);
    const due = await s.listDuePushes(now, 10);
    t.same(
      due.map((p) => p.rrn),
      [o.rrn],
    );
    t.ok(await s.markPushSent(MID, TID, o.rrn, now + 5000));
    // On Redis the due index is a sorted set of its own: the send moved the entry to the next attempt.
    const dueIndex = h.admin && `${h.lastPrefix}{g}:push`;
    const member = `${MID}|${TID}|${o.rrn}`;
    if (h.admin) t.equal(await h.admin.zscore(dueIndex as string, member), String(now + 5000), 'due index');
    t.same(await s.listDuePushes(now + 1000, 10), [], 'not due before its next attempt');
    const later = await s.listDuePushes(now + 5000, 10);
    t.equal(later[0]?.attempts, 1);
    await s.putPush({ mid: MID, tid: TID, rrn: '060000000777', payload: bytes('0620-B'), nextAttemptAt: now + 10 });
    t.equal((await s.listPushesForTerminal(MID, TID)).length, 2);
    t.ok(await s.ackPush(MID, TID, o.rrn));
    if (h.admin) t.equal(await h.admin.zscore(dueIndex as string, member), null, 'acknowledged: out of the due index');
    t.notOk(await s.ackPush(MID, TID, o.rrn), 'second ack finds nothing');
    t.notOk(await s.markPushSent(MID, TID, o.rrn, now), 'acknowledged push is gone');
    t.same(
      (await s.listDuePushes(now + 10_000, 10)).map((p) => p.rrn),
      ['060000000777'],
    );
  });

  t.test('a push its node sends at once is stored as one attempt made, due again only if unacknowledged', async (t) => {
    const s = fresh();
    const now = Date.now();
    const o = await precreatePaidWithPush(s, now, {
      payload: bytes('0620-S'),
      nextAttemptAt: now + 5000,
      sending: true,
    });
    const mine = await s.listPushesForTerminal(MID, TID);
    t.match(mine, [{ rrn: o.rrn, attempts: 1, nextAttemptAt: now + 5000 }], 'one attempt, the next in 5 s');
    t.same(await s.listDuePushes(now + 4999, 10), [], 'no other sender takes it meanwhile');
    const due = await s.listDuePushes(now + 5000, 10);
    t.match(due, [{ rrn: o.rrn, attempts: 1 }], 'unacknowledged: due again, as a resend');
    if (h.admin) {
      const member = `${MID}|${TID}|${o.rrn}`;
      t.equal(await h.admin.zscore(`${h.lastPrefix}{g}:push`, member), String(now + 5000), 'due index');
    }
    t.ok(await s.ackPush(MID, TID, o.rrn));
    t.same(await s.listDuePushes(now + 10_000, 10), [], 'acknowledged: gone');
  });

  t.test('recovery lists non-final orders when due and forgets final ones', async (t) => {
    const s = fresh({ recoveryDelayMs: 1000 });
    const a = started(
      await s.beginPayment({ request: req(1), fingerprint: 'a', kind: 'sale', amountFen: 1, now: NOW }),
    );
    const b = started(
      await s.beginPayment({ request: req(2), fingerprint: 'b', kind: 'sale', amountFen: 2, now: NOW }),
    );
    t.same(await s.listRecoverable(NOW + 999, 10), [], 'not yet due');
    t.same((await s.listRecoverable(NOW + 1000, 10)).map((o) => o.rrn).sort(), [a.rrn, b.rrn].sort());
    await s.transition(a, { from: ['paying'], to: 'paid' });
    const u = await s.transition(b, { from: ['paying'], to: 'unknown', nextCheckAt: NOW + 60_000 });
    t.equal(u.status, 'ok');
    t.same(await s.listRecoverable(NOW + 59_999, 10), [], 'final order dropped; unknown one rescheduled');
    const due = await s.listRecoverable(NOW + 60_000, 10);
    t.same(
      due.map((o) => [o.rrn, o.state]),
      [[b.rrn, 'unknown']],
    );
    await s.scheduleCheck(b, NOW + 120_000);
    t.same(await s.listRecoverable(NOW + 119_999, 10), []);
    t.equal((await s.listRecoverable(NOW + 120_000, 1)).length, 1);
  });

  t.test('leases: one owner at a time, renew and release by the owner only, taken over after expiry', async (t) => {
    const s = fresh();
    t.ok(await s.acquireLease('recover:1', 'node-a', 200));
    t.notOk(await s.acquireLease('recover:1', 'node-b', 200));
    t.notOk(await s.renewLease('recover:1', 'node-b', 200));
    t.ok(await s.renewLease('recover:1', 'node-a', 60));
    t.notOk(await s.releaseLease('recover:1', 'node-b'));
    await new Promise((r) => setTimeout(r, 150));
    t.ok(await s.acquireLease('recover:1', 'node-b', 5000), 'a dead owner loses the lease');
    t.notOk(await s.releaseLease('recover:1', 'node-a'));
    t.ok(await s.releaseLease('recover:1', 'node-b'));
    t.ok(await s.acquireLease('recover:1', 'node-a', 5000));
  });

  t.test('bad input is refused with StoreInputError and writes nothing', async (t) => {
    const s = fresh();
    await t.rejects(
      s.beginPayment({ request: req(1, { tid: 'SHORT' }), fingerprint: 'a', kind: 'sale', amountFen: 1 }),
      StoreInputError,
    );
    await t.rejects(s.beginPayment({ request: req(1), fingerprint: 'a', kind: 'sale', amountFen: 0 }), StoreInputError);
    await t.rejects(
      s.beginPayment({ request: req(1), fingerprint: 'a', kind: 'sale', amountFen: 1.5 }),
      StoreInputError,
    );
    await t.rejects(
      s.beginPayment({ request: req(1, { mid: 'M0000000000{01}' }), fingerprint: 'a', kind: 'sale', amountFen: 1 }),
      StoreInputError,
    );
    await t.rejects(
      s.beginRefund({ request: req(2), fingerprint: 'a', kind: 'refund', amountFen: 1, originalRrn: 'x' }),
      StoreInputError,
    );
    t.equal(await s.getOrderByRequest(TID, MID, '000001', '000001'), undefined);
    t.equal(
      (await s.beginPayment({ request: req(1), fingerprint: 'a', kind: 'sale', amountFen: 1 })).status,
      'started',
      'the key was not claimed',
    );
  });

  t.test('a closed store rejects with StoreUnavailableError', async (t) => {
    const s = fresh();
    await s.ping();
    t.ok(s.healthy);
    await s.close();
    t.notOk(s.healthy);
    await t.rejects(s.getTerminal(TID), StoreUnavailableError);
    await t.rejects(
      s.beginPayment({ request: req(1), fingerprint: 'a', kind: 'sale', amountFen: 1 }),
      StoreUnavailableError,
    );
  });

  concurrencySuite(t, h);
}

const N = 50;

function concurrencySuite(t: Test, h: StoreHarness): void {
  t.test(`concurrency: ${N} copies of one TID + batch + STAN at once → exactly one executes`, async (t) => {
    const s = h.make();
    const same = await Promise.all(
      Array.from({ length: N }, () =>
        s.beginPayment({ request: req(1), fingerprint: 'same', kind: 'sale', amountFen: 100 }),
      ),
    );
    t.equal(same.filter((r) => r.status === 'started').length, 1);
    t.equal(same.filter((r) => r.status === 'in-progress').length, N - 1);
    const mixed = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        s.beginPayment({ request: req(2), fingerprint: `fp${i}`, kind: 'sale', amountFen: 100 }),
      ),
    );
    t.equal(mixed.filter((r) => r.status === 'started').length, 1);
    t.equal(mixed.filter((r) => r.status === 'mismatch').length, N - 1);
    t.equal((await s.listRecoverable(Date.now() + 3600_000, 1000)).length, 2, 'two orders, no more');
  });

  t.test(`concurrency: ${N} partial refunds never exceed the paid amount`, async (t) => {
    const s = h.make();
    const sale = await paidSale(s, 1, 1000);
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        s.beginRefund({
          request: req(100 + i, { mti: '0220' }),
          fingerprint: 'r',
          kind: 'refund',
          amountFen: 30,
          originalRrn: sale.rrn,
        }),
      ),
    );
    const ok = results.filter((r) => r.status === 'started');
    t.equal(ok.length, 33, '33 × 30 ≤ 1000 < 34 × 30');
    t.equal(results.filter((r) => r.status === 'exceeds').length, N - 33);
    // Finish them concurrently too, half succeeding, half failing.
    await Promise.all(
      ok.map((r, i) =>
        r.status === 'started' ? s.transition(r.order, { from: ['paying'], to: i % 2 ? 'failed' : 'paid' }) : null,
      ),
    );
    const parent = await s.getOrder(MID, sale.rrn);
    t.equal(parent?.refundedFen, 17 * 30);
    t.equal(parent?.refundPendingFen, 0);
    t.equal(parent?.state, 'partially_refunded');
    t.same(await s.getBatchTotals(MID, TID, '000001'), {
      debitFen: 1000,
      debitCount: 1,
      creditFen: 510,
      creditCount: 17,
    });
  });

  t.test(`concurrency: daily limits hold under ${N} parallel sales`, async (t) => {
    const s = h.make();
    const run = (stanBase: number, limits: object, mid = MID) =>
      Promise.all(
        Array.from({ length: N }, (_, i) =>
          s.beginPayment({
            request: req(stanBase + i, { mid }),
            fingerprint: 's',
            kind: 'sale',
            amountFen: 100,
            limits,
            now: NOW,
          }),
        ),
      );
    const byAmount = await run(1000, { dailyAmountMaxFen: 2000 });
    t.equal(byAmount.filter((r) => r.status === 'started').length, 20);
    t.equal(byAmount.filter((r) => r.status === 'limit').length, N - 20);
    t.same(await s.getDailyCounters(MID, businessDay(NOW)), { amountFen: 2000, count: 20 });
    const other = 'M00000000000002';
    const byCount = await run(2000, { dailyCountMax: 7 }, other);
    t.equal(byCount.filter((r) => r.status === 'started').length, 7);
    t.same(await s.getDailyCounters(other, businessDay(NOW)), { amountFen: 700, count: 7 });
  });

  t.test(`concurrency: ${N} reversals racing their originals — never both executed and unseen`, async (t) => {
    const s = h.make();
    // Warm up: the Redis store reserves RRNs in blocks; the race below must not wait for one.
    started(await s.beginPayment({ request: req(2999), fingerprint: 'w', kind: 'sale', amountFen: 1 }));
    const pairs = await Promise.all(
      Array.from({ length: N }, (_, i) => {
        const sale = () => s.beginPayment({ request: req(3000 + i), fingerprint: 'o', kind: 'sale', amountFen: 10 });
        const rev = () => s.beginReversal({ request: req(3000 + i, { mti: '0400' }), fingerprint: 'r' });
        // Alternate which one reaches the store first (a turn of the event loop apart) or start both at once.
        const later = <T>(f: () => Promise<T>) => new Promise<void>((r) => setImmediate(r)).then(f);
        if (i % 3 === 0) return Promise.all([sale(), later(rev)]);
        if (i % 3 === 1) return Promise.all([later(sale), rev()]);
        return Promise.all([sale(), rev()]);
      }),
    );
    let executed = 0;
    for (const [sale, rev] of pairs) {
      if (rev.status !== 'started') throw new Error(`reversal ${rev.status}`);
      if (sale.status === 'started') {
        executed++;
        t.equal(rev.original?.rrn, sale.order.rrn, 'reversal saw the executed original');
      } else {
        t.equal(sale.status, 'reversed');
        t.equal(rev.original, undefined);
      }
    }
    t.comment(`${executed} of ${N} originals won the race`);
    t.ok(executed > 0 && executed < N, 'both outcomes occurred, so the race was real');
  });

  t.test(`concurrency: ${N} racing transitions of one order → one wins, totals counted once`, async (t) => {
    const s = h.make();
    const o = started(await s.beginPayment({ request: req(1), fingerprint: 'a', kind: 'sale', amountFen: 42 }));
    const rs = await Promise.all(Array.from({ length: N }, () => s.transition(o, { from: ['paying'], to: 'paid' })));
    t.equal(rs.filter((r) => r.status === 'ok').length, 1);
    t.equal(rs.filter((r) => r.status === 'conflict').length, N - 1);
    t.same(await s.getBatchTotals(MID, TID, '000001'), { debitFen: 42, debitCount: 1, creditFen: 0, creditCount: 0 });
    const leases = await Promise.all(Array.from({ length: N }, (_, i) => s.acquireLease('order-x', `node-${i}`, 5000)));
    t.equal(leases.filter(Boolean).length, 1, 'one lease holder');
  });
}
