// The call guard under overload against a real WeChat-style sandbox with slow answers: what the
// connector says about each pay must match what the wallet's ledger shows afterwards.
import t from 'tap';
import type { GuardOptions } from '../../src/channels/guard.js';
import { WechatConnector } from '../../src/channels/wechat/connector.js';
import { WechatSandbox } from '../../src/channels/wechat/sandbox.js';
import { channelRejected } from '../../src/metrics/channels.js';
import { WX_ACCOUNT as account, orderNo, type Teardown, waitFor, wxCode } from './helpers.js';

const LATENCY_MS = 250;

async function rig(t: Teardown, guard: Partial<GuardOptions>) {
  const sandbox = new WechatSandbox({ latency: { kind: 'fixed', ms: LATENCY_MS } });
  await sandbox.start();
  const connector = new WechatConnector({
    baseUrl: sandbox.url,
    credentials: () => ({ apiKey: sandbox.apiKey }),
    notifyUrl: 'http://127.0.0.1:9/notify/wechat',
    // As many connections as guard slots: the guard's queue is the only queue.
    pool: { connections: guard.maxConcurrent ?? 1 },
    guard,
  });
  t.teardown(async () => {
    await connector.destroy();
    await sandbox.stop();
  });
  const booked = (no: string) => sandbox.ledger.snapshot().some((o) => o.outTradeNo === no);
  return { sandbox, connector, booked };
}

const rejected = async (reason: string) =>
  (await channelRejected.get()).values.find((v) => v.labels.wallet === 'WX' && v.labels.reason === reason)?.value ?? 0;

t.test('overload: in-flight pays succeed, queued-too-long and queue-full pays are refused unsent', async (t) => {
  const { connector: c, booked } = await rig(t, {
    maxConcurrent: 2,
    maxQueued: 2,
    timeoutMs: 1_000,
    maxQueueWaitMs: 100,
    retries: 0,
    breaker: { failureThreshold: 1, openMs: 60_000, halfOpenProbes: 1 },
  });
  const full = await rejected('queue-full');
  const timedOut = await rejected('queue-timeout');
  const orders = Array.from({ length: 6 }, () => orderNo('OV'));
  const results = await Promise.all(
    orders.map((outTradeNo) => c.pay({ account, outTradeNo, amountFen: 100, authCode: wxCode('00'), subject: 't' })),
  );
  const codes = results.map((r) => r.walletCode);
  t.same(codes, ['SUCCESS', 'SUCCESS', 'QUEUE_TIMEOUT', 'QUEUE_TIMEOUT', 'QUEUE_FULL', 'QUEUE_FULL'], codes.join());
  for (const r of results.slice(2)) t.match(r, { outcome: 'failed', reason: 'channel-unavailable' });
  t.equal(await rejected('queue-full'), full + 2);
  t.equal(await rejected('queue-timeout'), timedOut + 2);

  // Give any stray request time to land at the wallet before reading the ledger.
  await new Promise((r) => setTimeout(r, LATENCY_MS + 100));
  t.same(
    orders.map(booked),
    [true, true, false, false, false, false],
    'the wallet booked exactly the pays that were sent; refused ones never reached it',
  );
  t.equal(c.guard.breaker.state, 'closed', 'four local refusals, breaker (threshold 1) still closed');
  t.equal(c.guard.queued, 0);
});

t.test('a pay sent but answered too late is unknown — and the wallet did book it', async (t) => {
  const { connector: c, booked } = await rig(t, { maxConcurrent: 1, timeoutMs: 120, retries: 0 });
  const no = orderNo('SL');
  const r = await c.pay({ account, outTradeNo: no, amountFen: 100, authCode: wxCode('00'), subject: 't' });
  t.match(r, { outcome: 'unknown', reason: 'timeout' }, 'sent: the money may have moved, so query, never refuse');
  t.ok(await waitFor(() => booked(no), 2_000), 'the wallet booked it after the client gave up');
});
