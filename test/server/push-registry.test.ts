// PushRegistry on its own (src/server/push-registry.ts) with a fake connection and sender: the 0630
// that answers a push, the timeout, a push replaced by one with the same TID + STAN, a sender that
// fails, an offline box, and the outcome counter.
import t from 'tap';
import type { IsoMessage } from '../../src/iso8583/index.js';
import { pushes as pushesCounter } from '../../src/metrics/server.js';
import type { BoxConnection } from '../../src/server/connection.js';
import { PushRegistry } from '../../src/server/push-registry.js';

const conn = (id: number) =>
  ({ id, tid: undefined, closed: false, close() {} }) as unknown as BoxConnection & { tid: string | undefined };
const push = (stan: string): IsoMessage => ({ mti: '0620', fields: { 11: stan, 41: 'T1' } });
const ack = (stan: string): IsoMessage => ({ mti: '0630', fields: { 11: stan, 39: '00' } });

async function outcomes(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await pushesCounter.get()).values) out[String(v.labels.outcome)] = v.value;
  return out;
}

t.test('bind listeners hear of each new connection once, with the merchant when the binder knows it', async (t) => {
  const reg = new PushRegistry();
  const heard: [string, string | undefined][] = [];
  reg.onBind((tid, mid) => heard.push([tid, mid]));
  const c1 = conn(1);
  reg.bind('T1', c1, '898310148160568');
  reg.bind('T1', c1, '898310148160568');
  t.same(heard, [['T1', '898310148160568']], 'the same connection again: not a new identification');
  reg.bind('T1', conn(2));
  t.same(heard[1], ['T1', undefined], 'a new connection; no merchant given');
  t.equal(c1.tid, 'T1');
});

t.test('a push resolves with its 0630, by TID + STAN', async (t) => {
  const reg = new PushRegistry();
  const sent: IsoMessage[] = [];
  reg.attachSender(async (_c, m) => {
    sent.push(m);
  });
  reg.bind('T1', conn(1));
  const before = (await outcomes()).acked ?? 0;
  const p = reg.push('T1', push('000001'), 5_000);
  await new Promise((r) => setImmediate(r));
  t.equal(sent.length, 1, 'sent');
  t.equal(reg.settle('T1', ack('000002')), false, 'another STAN is not its answer');
  t.equal(reg.settle('T2', ack('000001')), false, 'another TID neither');
  t.equal(reg.settle('T1', ack('000001')), true);
  t.same(await p, ack('000001'));
  t.equal(reg.settle('T1', ack('000001')), false, 'answered once');
  t.equal((await outcomes()).acked, before + 1, 'counted acked');
});

t.test('no answer in time: undefined, counted as timeout, the waiter gone', async (t) => {
  const reg = new PushRegistry();
  reg.attachSender(async () => undefined);
  reg.bind('T1', conn(1));
  const before = (await outcomes()).timeout ?? 0;
  // The registry's timer is unref'd: something has to keep this process alive meanwhile.
  const alive = setTimeout(() => undefined, 1_000);
  t.teardown(() => clearTimeout(alive));
  const t0 = Date.now();
  t.equal(await reg.push('T1', push('000003'), 60), undefined);
  t.ok(Date.now() - t0 >= 55, 'after the timeout');
  t.equal(reg.settle('T1', ack('000003')), false, 'a late 0630 finds no waiter');
  t.equal((await outcomes()).timeout, before + 1);
});

t.test('a second push with the same TID + STAN ends the first with undefined', async (t) => {
  const reg = new PushRegistry();
  reg.attachSender(async () => undefined);
  reg.bind('T1', conn(1));
  const first = reg.push('T1', push('000004'), 5_000);
  const second = reg.push('T1', push('000004'), 5_000);
  t.equal(await first, undefined, 'first replaced');
  t.equal(reg.settle('T1', ack('000004')), true);
  t.same(await second, ack('000004'), 'the second gets the 0630');
});

t.test('a sender that fails: the push rejects, counted as error, nothing left waiting', async (t) => {
  const reg = new PushRegistry();
  reg.attachSender(async () => {
    throw new Error('cannot MAC');
  });
  reg.bind('T1', conn(1));
  const before = (await outcomes()).error ?? 0;
  await t.rejects(reg.push('T1', push('000005'), 5_000), /cannot MAC/);
  t.equal(reg.settle('T1', ack('000005')), false);
  t.equal((await outcomes()).error, before + 1);
  // A sender throwing before it returns a promise fails the push the same way.
  reg.attachSender(() => {
    throw new Error('at once');
  });
  await t.rejects(reg.push('T1', push('000006'), 5_000), /at once/);
  t.equal(reg.settle('T1', ack('000006')), false);
});

t.test('offline: undefined at once, counted; no sender: rejects', async (t) => {
  const reg = new PushRegistry();
  const before = (await outcomes()).offline ?? 0;
  t.equal(await reg.push('T9', push('000007')), undefined);
  t.equal((await outcomes()).offline, before + 1);
  reg.bind('T1', conn(1));
  await t.rejects(reg.push('T1', push('000008')), /no sender attached/);
});

t.test('clear() ends every waiting push with undefined', async (t) => {
  const reg = new PushRegistry();
  reg.attachSender(async () => undefined);
  reg.bind('T1', conn(1));
  reg.bind('T2', conn(2));
  const a = reg.push('T1', push('000009'), 5_000);
  const b = reg.push('T2', push('000010'), 5_000);
  await new Promise((r) => setImmediate(r));
  reg.clear();
  t.same(await Promise.all([a, b]), [undefined, undefined]);
});
