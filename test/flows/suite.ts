// Every row of box-protocol.md §4 and every rule under it, end to end over real sockets:
// box emulator → boxfep (startBoxfep) → in-process wallet sandboxes, against one store backend.
import type { Test } from 'tap';
import * as msg from '../../src/box/messages.js';
import { parseField59, parseField60 } from '../../src/iso8583/index.js';
import { alCode, type Backend, eventually, startRig, upCode, wxCode } from './rig.js';

const tags = (f59: string | undefined) => (f59 === undefined ? new Map<string, string>() : parseField59(f59));

export function flowSuite(t: Test, backend: Backend): void {
  t.test('B2C sale, every wallet: 00 with 37, 38, 59.A7/A8, 63.1, echoes and a MAC', async (t) => {
    const rig = await startRig(backend);
    t.teardown(() => rig.stop());
    const box = await rig.box();
    for (const [code, wallet, op] of [
      [wxCode('00'), 'WX', 'WXP'],
      [alCode('12'), 'AL', 'ALP'],
      [upCode('34'), 'UP', 'CUP'],
    ] as const) {
      const r = await box.sale(1234, code);
      t.equal(r.rc, '00', `${wallet} approved`);
      t.equal(r.macValid, true, 'response MAC verifies');
      for (const f of [3, 4, 11, 41, 42]) t.equal(r.message.fields[f], r.request.fields[f], `field ${f} echoed`);
      t.match(r.message.fields[37], /^\d{12}$/);
      t.match(r.message.fields[38], /^[0-9A-Za-z]{6}$/);
      t.equal(r.message.fields[63], op);
      const tg = tags(r.message.fields[59]);
      t.equal(tg.get('A7'), wallet);
      t.ok(tg.get('A8'), 'wallet order id');
      const order = await rig.store.getOrder(box.opts.mid, r.message.fields[37] as string);
      t.equal(order?.state, 'paid');
      t.equal(order?.paymentCodeMasked?.includes(code.slice(4, 10)), false, 'payment code stored masked only');
    }
  });

  t.test('B2C sale outcomes: 14, 51, user paying, system error, USERPAYING_TIMEOUT, no answer', async (t) => {
    const rig = await startRig(backend);
    t.teardown(() => rig.stop());
    const box = await rig.box();
    const bad = await box.sale(100, '9912345678901234');
    t.equal(bad.rc, '14', 'unknown prefix → 14');
    t.equal(bad.message.fields[64], undefined, 'no MAC unless 00');

    t.equal((await box.sale(100, wxCode('90'))).rc, '51', 'insufficient funds → 51');
    const paying = await box.sale(100, wxCode('80'));
    t.equal(paying.rc, '00', 'user paying, then paid on the second query → 00');
    t.equal((await box.sale(100, alCode('95'))).rc, '00', 'system error but paid → query → 00');

    const started = Date.now();
    const timeout = await box.sale(100, wxCode('85'));
    const took = Date.now() - started;
    t.equal(timeout.rc, '05');
    t.equal(tags(timeout.message.fields[59]).get('A9'), 'USERPAYING_TIMEOUT');
    t.ok(took >= 800 && took < 800 + 300 + 1_000, `answered after the deadline, within the margin (${took} ms)`);
    const rrn = timeout.message.fields[37] as string;
    const order = await rig.store.getOrder(box.opts.mid, rrn);
    t.equal(order?.state, 'cancelled');
    const ledger = rig.app.sandboxes.WX?.ledger.get('1900000109', order?.outTradeNo as string);
    t.equal(ledger?.state, 'reversed', 'cancelled at the wallet with the same order number');

    const silent = await box.sale(100, alCode('98'));
    t.equal(silent.rc, '05', 'pay never answered, wallet never booked it → reversed → 05');
    t.equal(tags(silent.message.fields[59]).get('A9'), 'TIMEOUT');
  });

  t.test('a connector whose pay throws at once or rejects: the same 96, nothing left in flight', async (t) => {
    const rig = await startRig(backend);
    t.teardown(() => rig.stop());
    const box = await rig.box();
    const channel = rig.app.flows.channels.UP;
    if (!channel) throw new Error('no UnionPay channel');
    const real = channel.pay;
    t.teardown(() => {
      channel.pay = real;
    });
    channel.pay = () => {
      throw new Error('connector broke before returning a promise');
    };
    const thrown = await box.sale(100, upCode('01'));
    channel.pay = () => Promise.reject(new Error('connector rejected'));
    const rejected = await box.sale(100, upCode('02'));
    t.equal(thrown.rc, '96', 'a synchronous throw is a failed transaction');
    t.equal(rejected.rc, thrown.rc, 'answered as a rejection is');
    t.equal(rig.app.flows.inflight.size, 0, 'neither left an in-flight entry behind');
    channel.pay = real;
    t.equal((await box.sale(100, upCode('03'))).rc, '00', 'the next sale goes through');
  });

  t.test('wallet unavailable → 91; timed out and still unknown after reversal → 98, then recovery', async (t) => {
    const rig = await startRig(backend, {
      guard: { breaker: { failureThreshold: 5, openMs: 300, halfOpenProbes: 1 } },
    });
    t.teardown(() => rig.stop());
    const box = await rig.box();
    const wx = rig.app.sandboxes.WX!;
    wx.faults.dropRate = 1;
    const r = await box.sale(100, wxCode('01'));
    t.equal(r.rc, '98', 'pay, queries and cancel all unanswered → 98');
    const rrn = r.message.fields[37] as string;
    t.equal((await rig.store.getOrder(box.opts.mid, rrn))?.state, 'unknown', 'left for recovery');
    wx.faults.dropRate = 0;
    const done = await eventually(async () => (await rig.store.getOrder(box.opts.mid, rrn))?.state === 'cancelled');
    t.ok(done, 'recovery cancelled it at the wallet');

    // Breaker: with the wallet unreachable, the breaker opens and the sale is refused at once.
    const down = await startRig(backend, {
      wallets: {
        WX: {
          baseUrl: 'http://127.0.0.1:1',
          credentials: () => ({ apiKey: 'k'.repeat(32) }),
          account: { appId: 'wx0000000000000001', merchantId: '1900000001' },
        },
      },
    });
    t.teardown(() => down.stop());
    const box2 = await down.box();
    t.equal((await box2.sale(100, wxCode('02'))).rc, '91', 'wallet unreachable → 91');
  });

  t.test('duplicates: replay of identical content, 94 for different content', async (t) => {
    const rig = await startRig(backend);
    t.teardown(() => rig.stop());
    const box = await rig.box();
    const id = { tid: box.tid, mid: box.opts.mid, batch: box.batch };
    const first = await box.exchange(msg.saleRequest(id, '000777', 500, wxCode('03')));
    const again = await box.exchange(msg.saleRequest(id, '000777', 500, wxCode('03')));
    t.equal(first.rc, '00');
    t.equal(again.rc, '00', 'replayed');
    t.equal(again.message.fields[37], first.message.fields[37], 'same RRN: not executed again');
    const other = await box.exchange(msg.saleRequest(id, '000777', 501, wxCode('03')));
    t.equal(other.rc, '94', 'same key, different content → 94');
    t.equal(rig.app.sandboxes.WX?.ledger.snapshot().length, 1, 'the wallet saw one pay');
  });

  t.test('merchant limits: per transaction and daily amount → 61, daily count → 65', async (t) => {
    const rig = await startRig(backend);
    t.teardown(() => rig.stop());
    const box = await rig.box(undefined, { mid: '898000000000777' });
    await rig.setLimits({ perTransactionMaxFen: 1_000, dailyAmountMaxFen: 1_500, dailyCountMax: 2 }, box.tid);
    t.equal((await box.sale(1_001, wxCode('04'))).rc, '61', 'over the per-transaction limit');
    t.equal((await box.sale(1_000, wxCode('04'))).rc, '00');
    t.equal((await box.sale(600, wxCode('04'))).rc, '61', 'over the daily amount');
    t.equal((await box.sale(100, wxCode('90'))).rc, '51', 'a declined sale gives its amount back');
    t.equal((await box.sale(200, wxCode('04'))).rc, '00');
    t.equal((await box.sale(100, wxCode('04'))).rc, '65', 'third counted sale of the day → 65');
  });

  t.test('C2B precreate: 09 with A6, then the 0620 push, acknowledged by 0630', async (t) => {
    const rig = await startRig(backend);
    t.teardown(() => rig.stop());
    const box = await rig.box();
    for (const wallet of ['WX', 'AL', 'UP'] as const) {
      const r = await box.precreate(2_000, wallet);
      t.equal(r.rc, '09', `${wallet}: order created, awaiting payment`);
      t.equal(r.message.fields[64], undefined, 'no MAC on 09');
      const tg = tags(r.message.fields[59]);
      t.ok(tg.get('A6'), 'QR content');
      t.equal(tg.get('A7'), wallet);
      const push = await box.nextPush(5_000);
      const f = push.message.fields;
      t.equal(push.macValid, true, 'push MACed');
      t.equal(f[39], '00', 'paid');
      t.equal(f[11], r.request.fields[11], 'STAN of the precreate');
      t.equal(f[4], r.request.fields[4], 'amount of the precreate');
      t.equal(f[37], r.message.fields[37], 'RRN of the order');
      const f60 = parseField60(f[60] as string);
      t.equal(f60.batch, box.batch);
      t.equal(f60.netCode, '990');
      const acked = await eventually(
        async () => (await rig.store.listPushesForTerminal(box.opts.mid, box.tid)).length === 0,
      );
      t.ok(acked, 'the 0630 removed the pending push');
      const q = await box.query({ batch: box.batch, stan: r.request.fields[11] as string });
      t.equal(q.rc, '00', 'order query: paid');
    }
  });

  t.test('a C2B result for a box connected here goes out from its own store step: no list or mark first', async (t) => {
    const rig = await startRig(backend);
    t.teardown(() => rig.stop());
    const box = await rig.box();
    // Record the store's push steps (the real store, called through). Listing is recorded by what it
    // returned: the box's sign-on flush lists its (empty) pushes too, at a moment of its own.
    const calls = { listed: [] as string[], mark: 0, ack: 0 };
    const store = rig.store;
    const list = store.listPushesForTerminal.bind(store);
    const mark = store.markPushSent.bind(store);
    const ack = store.ackPush.bind(store);
    store.listPushesForTerminal = async (...a) => {
      const pending = await list(...a);
      calls.listed.push(...pending.map((p) => p.rrn));
      return pending;
    };
    store.markPushSent = (...a) => {
      calls.mark++;
      return mark(...a);
    };
    store.ackPush = (...a) => {
      calls.ack++;
      return ack(...a);
    };
    for (const wallet of ['WX', 'UP'] as const) {
      const r = await box.precreate(2_000, wallet);
      t.equal(r.rc, '09');
      const push = await box.nextPush(5_000);
      t.equal(push.message.fields[37], r.message.fields[37], `${wallet}: pushed`);
      t.equal(push.message.fields[39], '00');
    }
    const acked = await eventually(async () => (await list(box.opts.mid, box.tid)).length === 0);
    t.ok(acked, 'both acknowledged and gone');
    t.same(calls, { listed: [], mark: 0, ack: 2 }, 'one store step per push after the result: the ack');
  });

  t.test('push resend after 5 s unacked (shortened) and again on reconnect', async (t) => {
    const rig = await startRig(backend);
    t.teardown(() => rig.stop());
    const silent = await rig.box(undefined, { ackPushes: false });
    const r = await silent.precreate(300, 'AL');
    t.equal(r.rc, '09');
    const p1 = await silent.nextPush(5_000);
    const p2 = await silent.nextPush(5_000);
    t.equal(p2.message.fields[37], p1.message.fields[37], 'resent while unacknowledged');
    silent.close();
    const back = await rig.box(silent.tid);
    const p3 = await back.nextPush(8_000);
    t.equal(p3.message.fields[37], r.message.fields[37], 'sent again on reconnect');
    const acked = await eventually(
      async () => (await rig.store.listPushesForTerminal(back.opts.mid, back.tid)).length === 0,
    );
    t.ok(acked, 'acknowledged by the reconnected box');
  });

  t.test('order query: 00 paid, 09 pending, 05 failed, 25 unknown; 4 and 37 of the original', async (t) => {
    const rig = await startRig(backend);
    t.teardown(() => rig.stop());
    const box = await rig.box();
    const sale = await box.sale(4_321, wxCode('05'));
    const q = await box.query({ batch: box.batch, stan: sale.request.fields[11] as string });
    t.equal(q.rc, '00');
    t.equal(q.message.fields[4], '000000004321');
    t.equal(q.message.fields[37], sale.message.fields[37]);
    t.equal(q.macValid, true);
    const failed = await box.sale(100, wxCode('91'));
    t.equal((await box.query({ batch: box.batch, stan: failed.request.fields[11] as string })).rc, '05');
    const pending = await box.precreate(199, 'WX');
    t.equal((await box.query({ batch: box.batch, stan: pending.request.fields[11] as string })).rc, '09');
    t.equal((await box.query({ batch: box.batch, stan: '999999' })).rc, '25');
  });

  t.test('void: full amount, same batch, approved original — else 12', async (t) => {
    const rig = await startRig(backend);
    t.teardown(() => rig.stop());
    const box = await rig.box();
    const sale = await box.sale(800, wxCode('06'));
    const ref = { batch: box.batch, stan: sale.request.fields[11] as string, rrn: sale.message.fields[37] };
    t.equal((await box.void(700, ref)).rc, '12', 'partial amount → 12');
    const v = await box.void(800, ref);
    t.equal(v.rc, '00');
    t.equal(v.macValid, true);
    t.equal((await box.void(800, ref)).rc, '12', 'already voided → 12');
    const declined = await box.sale(800, wxCode('92'));
    const dref = { batch: box.batch, stan: declined.request.fields[11] as string, rrn: declined.message.fields[37] };
    t.equal((await box.void(800, dref)).rc, '12', 'void of a declined sale → 12');
    t.equal((await box.void(800, { ...ref, rrn: '000000000000' })).rc, '25', 'unknown original → 25');
    const original = await rig.store.getOrder(box.opts.mid, ref.rrn as string);
    t.equal(original?.state, 'refunded');
    const ledger = rig.app.sandboxes.WX?.ledger.get('1900000109', original?.outTradeNo as string);
    t.equal(ledger?.refundedFen, 800, 'money returned at the wallet');
  });

  t.test('refund: partial and repeated up to the paid amount, over the remainder → 64', async (t) => {
    const rig = await startRig(backend);
    t.teardown(() => rig.stop());
    const box = await rig.box();
    const sale = await box.sale(1_000, alCode('07'));
    const ref = {
      batch: box.batch,
      stan: sale.request.fields[11] as string,
      rrn: sale.message.fields[37],
      date: '0101',
    };
    t.equal((await box.refund(300, ref)).rc, '00');
    t.equal((await box.refund(500, ref)).rc, '00');
    t.equal((await box.refund(300, ref)).rc, '64', 'more than the 200 left');
    t.equal((await box.refund(200, ref)).rc, '00');
    t.equal((await box.refund(1, ref)).rc, '64', 'nothing left');
    const original = await rig.store.getOrder(box.opts.mid, ref.rrn as string);
    t.equal(original?.state, 'refunded');
    t.equal(original?.refundedFen, 1_000);
    const ledger = rig.app.sandboxes.AL?.ledger.get('2021000000000001', original?.outTradeNo as string);
    t.equal(ledger?.refundedFen, 1_000);
  });

  t.test('reversal: paid → reversed at the wallet; idempotent; unknown original → tombstone → 94', async (t) => {
    const rig = await startRig(backend);
    t.teardown(() => rig.stop());
    const box = await rig.box();
    const sale = await box.sale(900, wxCode('08'));
    const rev = await box.reverse(sale.request);
    t.equal(rev.rc, '00');
    t.equal(rev.macValid, true);
    const rrn = sale.message.fields[37] as string;
    const order = await rig.store.getOrder(box.opts.mid, rrn);
    t.equal(order?.state, 'cancelled');
    t.equal(rig.app.sandboxes.WX?.ledger.get('1900000109', order?.outTradeNo as string)?.state, 'reversed');
    t.equal((await box.reverse(sale.request)).rc, '00', 'repeated reversal → 00 again');
    t.same(await rig.store.getBatchTotals(box.opts.mid, box.tid, box.batch), {
      debitFen: 0,
      debitCount: 0,
      creditFen: 0,
      creditCount: 0,
    });

    const id = { tid: box.tid, mid: box.opts.mid, batch: box.batch };
    const never = msg.saleRequest(id, '000555', 700, wxCode('09'));
    t.equal((await box.reverse(never)).rc, '00', 'no original: 00');
    const late = await box.exchange(msg.saleRequest(id, '000555', 700, wxCode('09')));
    t.equal(late.rc, '94', 'the original arriving after its reversal is refused');
    t.equal(rig.app.sandboxes.WX?.ledger.snapshot().length, 1, 'and never reached the wallet');

    const c2b = await box.precreate(1_599, 'AL');
    t.equal((await box.reverse(c2b.request)).rc, '00');
    const closed = await rig.store.getOrder(box.opts.mid, c2b.message.fields[37] as string);
    t.equal(closed?.state, 'cancelled');
    const ledger = rig.app.sandboxes.AL?.ledger.get('2021000000000001', closed?.outTradeNo as string);
    t.equal(ledger?.state, 'reversed', 'the unpaid C2B order is closed at the wallet');
  });

  t.test('C2B expiry: closed when it expires, never before the wallet allows; the push says 05', async (t) => {
    const rig = await startRig(backend, {
      config: { c2bExpiryMs: 200 },
      timing: { closeNotBeforeMs: { WX: 1_200, AL: 0, UP: 0 } },
    });
    t.teardown(() => rig.stop());
    const box = await rig.box();
    const al = await box.precreate(399, 'AL');
    const pushAl = await box.nextPush(5_000);
    t.equal(pushAl.message.fields[37], al.message.fields[37]);
    t.equal(pushAl.message.fields[39], '05', 'closed');
    const wxStarted = Date.now();
    const wx = await box.precreate(499, 'WX');
    const pushWx = await box.nextPush(5_000);
    t.equal(pushWx.message.fields[37], wx.message.fields[37]);
    t.equal(pushWx.message.fields[39], '05');
    t.ok(Date.now() - wxStarted >= 1_200, 'WeChat order not closed before its earliest close');
    const order = await rig.store.getOrder(box.opts.mid, wx.message.fields[37] as string);
    t.equal(rig.app.sandboxes.WX?.ledger.get('1900000109', order?.outTradeNo as string)?.state, 'closed');
  });

  t.test('settlement: field 48 balanced (1) or not (2) with boxfep totals; the batch increments', async (t) => {
    const rig = await startRig(backend);
    t.teardown(() => rig.stop());
    const box = await rig.box();
    const a = await box.sale(1_000, wxCode('10'));
    await box.sale(2_000, alCode('11'));
    await box.refund(300, { batch: box.batch, stan: a.request.fields[11] as string, rrn: a.message.fields[37] });
    const wrong = await box.settle({ debitFen: 3_000, debitCount: 1, creditFen: 300, creditCount: 1 });
    t.equal(wrong.rc, '00');
    const f48 = wrong.message.fields[48] as string;
    t.equal(f48.length, 62);
    t.equal(f48[30], '2', 'unbalanced');
    t.equal(f48.slice(0, 30), `${'3000'.padStart(12, '0')}002${'300'.padStart(12, '0')}001`, "boxfep's totals");
    const term = await rig.store.getTerminal(box.tid);
    t.equal(term?.batch, '000002', 'batch incremented');

    box.batch = '000002';
    await box.sale(500, wxCode('12'));
    const right = await box.settle({ debitFen: 500, debitCount: 1, creditFen: 0, creditCount: 0 });
    t.equal((right.message.fields[48] as string)[30], '1', 'balanced');
    t.equal((await rig.store.getTerminal(box.tid))?.batch, '000003');
  });
}
