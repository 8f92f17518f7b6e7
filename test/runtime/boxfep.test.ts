// The composition root: startBoxfep wires sandboxes, the notify port, the flows and the background
// loops; C2B results arrive through real signed wallet notifications; an order left behind by a
// "crashed" process (written straight into the store) is finished by the resolver; stop() releases
// everything so the process can exit.
import t from 'tap';
import { saleRequest } from '../../src/box/messages.js';
import { Resolver } from '../../src/flows/recovery.js';
import { maskPaymentCode } from '../../src/log/mask.js';
import { c2bResults } from '../../src/metrics/flows.js';
import { eventually, MID, startRig, wxCode } from '../flows/rig.js';

const counted = async (source: string, state: string) =>
  (await c2bResults.get()).values.find((v) => v.labels.source === source && v.labels.state === state)?.value ?? 0;

for (const backend of ['memory', 'redis'] as const) {
  t.test(`${backend}: C2B results come in through the notify port`, async (t) => {
    const rig = await startRig(backend, { timing: { c2bQueryIntervalMs: 60_000 } });
    t.teardown(() => rig.stop());
    t.match(rig.app.notify.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    t.same(Object.keys(rig.app.flows.channels).sort(), ['AL', 'UP', 'WX']);
    const before = await counted('notification', 'paid');
    const box = await rig.box();
    await box.precreate(250, 'WX');
    const push = await box.nextPush(5_000);
    t.equal(push.message.fields[39], '00');
    t.equal(await counted('notification', 'paid'), before + 1, 'learned from the wallet notification, not polling');
  });

  t.test(`${backend}: the resolver finishes a sale a crashed process left paying`, async (t) => {
    const rig = await startRig(backend);
    t.teardown(() => rig.stop());
    const box = await rig.box();
    const code = wxCode('86');
    const longAgo = Date.now() - 120_000;
    const begun = await rig.store.beginPayment({
      request: { tid: box.tid, mid: MID, batch: box.batch, stan: '004242', mti: '0200' },
      fingerprint: 'crashed',
      kind: 'sale',
      amountFen: 700,
      wallet: 'WX',
      paymentCodeMasked: maskPaymentCode(code),
      now: longAgo,
    });
    if (begun.status !== 'started') throw new Error(begun.status);
    const order = begun.order;
    // The crashed process had reached the wallet: the customer is still entering a password there.
    const channel = rig.app.flows.channels.WX!;
    const account = rig.app.flows.defaultAccounts.WX!;
    const paid = await channel.pay({
      account,
      outTradeNo: order.outTradeNo,
      amountFen: 700,
      authCode: code,
      subject: 's',
    });
    t.equal(paid.outcome, 'user-paying');
    await rig.store.scheduleCheck(order, Date.now());
    const done = await eventually(async () => (await rig.store.getOrder(MID, order.rrn))?.state === 'cancelled');
    t.ok(done, 'cancelled by recovery');
    t.equal(rig.app.sandboxes.WX?.ledger.get('1900000109', order.outTradeNo)?.state, 'reversed');
    const again = await box.exchange(saleRequest({ tid: box.tid, mid: MID, batch: box.batch }, '004242', 700, code));
    t.equal(again.rc, '94', 'the same key with other content is refused');
  });
}

t.test('one resolver pass works every due order, not one batch of them', async (t) => {
  // The app's own resolver stays out of the way (first tick in a minute); this one lists 5 at a time.
  const rig = await startRig('memory', { recoveryTickMs: 60_000 });
  t.teardown(() => rig.stop());
  const box = await rig.box();
  const longAgo = Date.now() - 120_000;
  const rrns: string[] = [];
  for (let i = 0; i < 23; i++) {
    const code = wxCode(String(i).padStart(2, '0'));
    const begun = await rig.store.beginPayment({
      request: { tid: box.tid, mid: MID, batch: box.batch, stan: String(5000 + i).padStart(6, '0'), mti: '0200' },
      fingerprint: `crashed-${i}`,
      kind: 'sale',
      amountFen: 100 + i,
      wallet: 'WX',
      paymentCodeMasked: maskPaymentCode(code),
      now: longAgo,
    });
    if (begun.status !== 'started') throw new Error(begun.status);
    await rig.store.scheduleCheck(begun.order, Date.now());
    rrns.push(begun.order.rrn);
  }
  const resolver = new Resolver(rig.app.flows, { batch: 5, tickMs: 60_000, passBudgetMs: 30_000 });
  await resolver.tick();
  await resolver.stop();
  const states = await Promise.all(rrns.map(async (rrn) => (await rig.store.getOrder(MID, rrn))?.state));
  t.same(
    states.filter((s) => s === 'paying'),
    [],
    `all 23 due orders worked in one pass of 5-order batches: ${[...new Set(states)].join(', ')}`,
  );
});
