// The composition root: startBoxfep wires sandboxes, the notify port, the flows and the background
// loops; C2B results arrive through real signed wallet notifications; an order left behind by a
// "crashed" process (written straight into the store) is finished by the resolver; stop() releases
// everything so the process can exit.
import t from 'tap';
import { Box } from '../../src/box/box.js';
import { queryRequest, saleRequest } from '../../src/box/messages.js';
import { Resolver } from '../../src/flows/recovery.js';
import { maskPaymentCode } from '../../src/log/mask.js';
import { c2bResults } from '../../src/metrics/flows.js';
import { provisionTerminals } from '../../src/terminals/provisioning.js';
import type { KeyMode } from '../../src/terminals/types.js';
import { eventually, MID, nextTid, startRig, wxCode } from '../flows/rig.js';
import { AES_BDK, BDK } from '../server/helpers/harness.js';

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

t.test(
  'DUKPT boxes: the C2B push is MACed under the KSN of the last request boxfep accepted; the box finds it',
  async (t) => {
    const rig = await startRig('memory');
    t.teardown(() => rig.stop());
    const kinds: Array<[KeyMode, string, string]> = [
      ['dukpt-tdes', BDK, 'FFFF9876543210E00000'],
      ['dukpt-aes', AES_BDK, '123456789012345600000000'],
    ];
    for (const [keyMode, bdk, ksn] of kinds) {
      const tid = nextTid();
      await provisionTerminals(rig.store, rig.app.fep.crypto, [{ tid, mid: MID, keyMode, bdk }]);
      const box = await Box.connect({ port: rig.port, tid, mid: MID, keyMode, bdk, ksn, replyTimeoutMs: 10_000 });
      t.teardown(() => box.close());
      t.equal((await box.signOn()).rc, '00');
      const precreate = await box.precreate(250, 'WX');
      t.equal(precreate.rc, '09');
      // Then a request garbled on the way (bad MAC, refused A0): the box has used a newer KSN than the
      // one boxfep holds for it, so the push's KSN is not the box's latest.
      const original = { batch: box.batch, stan: precreate.request.fields[11]! };
      const query = queryRequest({ tid, mid: MID, batch: box.batch }, box.nextStan(), original);
      t.equal((await box.exchange(query, { corruptMac: true })).rc, 'A0');
      const push = await box.nextPush(5_000);
      t.equal(push.message.fields[39], '00', `${keyMode}: paid`);
      t.equal(push.macValid, true, `${keyMode}: the push's MAC verified by the box`);
      // The box acknowledged it (an unverified push is not acked): nothing left pending for it.
      const settled = await eventually(async () => (await rig.store.listPushesForTerminal(MID, tid)).length === 0);
      t.ok(settled, `${keyMode}: the 0630 settled the push`);
    }
  },
);
