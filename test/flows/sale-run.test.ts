// A waiting sale as one object (SaleRun in src/flows/sale.ts), called through the payment route with
// a hand-made context: a copy arriving while the first waits on the wallet gets the first's answer;
// a pay that rejects after the pay deadline is dropped, never an unhandled rejection; a pay that
// never answers is cancelled at the deadline. The memory store; the UnionPay sandbox behind.
import t, { type Test } from 'tap';
import * as msg from '../../src/box/messages.js';
import type { ChannelResult, PayRequest } from '../../src/channels/channel.js';
import { waitsRunning } from '../../src/flows/pending.js';
import { payment } from '../../src/flows/register.js';
import { parseField59 } from '../../src/iso8583/index.js';
import { silentLogger } from '../../src/log/logger.js';
import type { TransactionContext } from '../../src/server/dispatcher.js';
import { startRig, upCode } from './rig.js';

type Rig = Awaited<ReturnType<typeof startRig>>;

/** The context the pipeline would give a sale from `tid` (MAC, keys and connection unused by the flow). */
async function saleContext(rig: Rig, tid: string, stan: string, code: string): Promise<TransactionContext> {
  const terminal = await rig.store.getTerminal(tid);
  if (!terminal) throw new Error(`no terminal ${tid}`);
  const request = msg.saleRequest({ tid, mid: terminal.mid, batch: '000001' }, stan, 100, code);
  return {
    request,
    terminal,
    receivedAt: performance.now(),
    connection: undefined as unknown as TransactionContext['connection'],
    log: silentLogger,
  };
}

/** Replaces the UnionPay channel's pay for the test; counts calls. */
function replacePay(
  t: Test,
  rig: Rig,
  pay: (real: (r: PayRequest) => Promise<ChannelResult>, r: PayRequest) => Promise<ChannelResult>,
) {
  const channel = rig.app.flows.channels.UP;
  if (!channel) throw new Error('no UnionPay channel');
  const real = channel.pay.bind(channel);
  const calls = { n: 0 };
  channel.pay = (r) => {
    calls.n++;
    return pay(real, r);
  };
  t.teardown(() => {
    channel.pay = real;
  });
  return calls;
}

t.test('a copy arriving while the sale waits on the wallet gets the same answer, the wallet one pay', async (t) => {
  const rig = await startRig('memory');
  t.teardown(() => rig.stop());
  const box = await rig.box();
  const calls = replacePay(t, rig, (real, r) => new Promise((res) => setTimeout(() => res(real(r)), 200)));
  const ctx = await saleContext(rig, box.tid, '000101', upCode('05'));
  const first = payment(rig.app.flows, ctx);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(rig.app.flows.inflight.size, 1, 'the waiting sale is visible to duplicates');
  t.equal(waitsRunning(), 1, 'its pay deadline is on the shared heap');
  const copy = payment(rig.app.flows, await saleContext(rig, box.tid, '000101', upCode('05')));
  const [a, b] = await Promise.all([first, copy]);
  t.equal(a.rc, '00');
  t.equal(a.type, 'sale');
  t.match(a.log, { code: /\*/ }, 'typed with the masked code');
  t.same(b, a, 'the copy answers as the first did');
  t.equal(calls.n, 1, 'the wallet saw one pay');
  t.equal(rig.app.flows.inflight.size, 0, 'nothing left in flight');
  t.equal(waitsRunning(), 0, 'its deadline left the heap when the wallet answered');
});

t.test('a pay rejecting after the deadline: answered by the deadline, the rejection dropped', async (t) => {
  const rig = await startRig('memory');
  t.teardown(() => rig.stop());
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.teardown(() => process.off('unhandledRejection', onUnhandled));
  const box = await rig.box();
  // The rig's pay deadline is 800 ms; this pay rejects well after it.
  replacePay(t, rig, () => new Promise((_, rej) => setTimeout(() => rej(new Error('late')), 1_300)));
  const started = Date.now();
  const r = await payment(rig.app.flows, await saleContext(rig, box.tid, '000102', upCode('06')));
  const took = Date.now() - started;
  t.equal(r.rc, '05', 'never booked at the wallet: cancelled at the deadline → 05');
  t.equal(parseField59(r.fields?.[59] as string).get('A9'), 'TIMEOUT');
  t.ok(took >= 790 && took < 1_300, `answered at the deadline, not at the rejection (${took} ms)`);
  await new Promise((res) => setTimeout(res, 700));
  t.same(unhandled, [], 'the late rejection was dropped');
  t.equal(rig.app.flows.inflight.size, 0);
  t.equal(waitsRunning(), 0);
});

t.test('a pay that never answers: the deadline cancels it; one rejecting before it is the sale’s 96', async (t) => {
  const rig = await startRig('memory');
  t.teardown(() => rig.stop());
  const box = await rig.box();
  replacePay(t, rig, () => new Promise<ChannelResult>(() => undefined));
  const silent = await payment(rig.app.flows, await saleContext(rig, box.tid, '000103', upCode('07')));
  t.equal(silent.rc, '05');
  t.equal(waitsRunning(), 0, 'the expired deadline left the heap');
  const rig2 = await startRig('memory');
  t.teardown(() => rig2.stop());
  const box2 = await rig2.box();
  replacePay(t, rig2, () => new Promise((_, rej) => setTimeout(() => rej(new Error('broke')), 50)));
  const broke = await payment(rig2.app.flows, await saleContext(rig2, box2.tid, '000104', upCode('08'))).then(
    (r) => r.rc,
    (err: Error) => `rejected: ${err.message}`,
  );
  t.equal(broke, 'rejected: broke', 'the rejection is the sale’s (the pipeline answers 96)');
  t.equal(rig2.app.flows.inflight.size, 0);
  t.equal(waitsRunning(), 0);
});
