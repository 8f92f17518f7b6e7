// UnionPay-host connector against the sandbox acquirer, over real loopback TCP.
import t from 'tap';
import {
  DuplicateKeyError,
  UnionPayConnector,
  type UnionPayConnectorOptions,
} from '../../src/channels/unionpay/connector.js';
import { UnionPaySandbox, type UnionPaySandboxOptions } from '../../src/channels/unionpay/sandbox.js';
import type { WalletAccount } from '../../src/terminals/types.js';
import { orderNo, type Teardown, waitFor } from './helpers.js';

const account: WalletAccount = { appId: 'UPT00001', merchantId: '898310000000001' };
const upCode = (last2: string) => `62123456789012345${last2}`;

async function rig(
  t: Teardown,
  sandboxOptions: UnionPaySandboxOptions = {},
  options: Partial<UnionPayConnectorOptions> = {},
) {
  const sandbox = new UnionPaySandbox({ payDelayMs: 30, ...sandboxOptions });
  const { port } = await sandbox.start();
  const connector = new UnionPayConnector({
    host: '127.0.0.1',
    port,
    links: 2,
    reconnectInitialMs: 20,
    reconnectMaxMs: 100,
    guard: { timeoutMs: 500, retries: 1, retryDelayMs: 10 },
    ...options,
  });
  t.teardown(async () => {
    await connector.destroy();
    await sandbox.stop();
  });
  await connector.waitReady(connector.links.length);
  return { sandbox, connector };
}

const pay = (c: UnionPayConnector, last2: string, outTradeNo = orderNo('UP'), amountFen = 1234) =>
  c.pay({ account, outTradeNo, amountFen, authCode: upCode(last2), subject: 'test' });

t.test('test payment codes over the host link', async (t) => {
  const { connector: c, sandbox } = await rig(t);
  const ok = await pay(c, '00');
  t.match(ok, { outcome: 'success', walletCode: '00', amountFen: 1234 });
  t.match(ok.channelOrderId, /^UP\d{18}$/);

  const slow = orderNo();
  t.equal((await pay(c, '82', slow)).outcome, 'user-paying');
  t.equal((await c.query({ account, outTradeNo: slow })).walletCode, '09');
  t.match(await c.query({ account, outTradeNo: slow }), { outcome: 'success', walletCode: '00', amountFen: 1234 });

  const never = orderNo();
  t.equal((await pay(c, '86', never)).outcome, 'user-paying');
  t.equal((await c.cancel({ account, outTradeNo: never })).outcome, 'success');
  t.match(await c.query({ account, outTradeNo: never }), { outcome: 'failed', reason: 'order-closed' });

  t.match(await pay(c, '91'), { outcome: 'failed', reason: 'insufficient-funds', walletCode: '51' });
  const err = orderNo();
  t.match(await pay(c, '96', err), { outcome: 'unknown', walletCode: '96' });
  t.equal((await c.query({ account, outTradeNo: err })).outcome, 'success');
  const lost = orderNo();
  t.match(await pay(c, '98', lost), { outcome: 'unknown', reason: 'timeout' });
  t.match(await c.query({ account, outTradeNo: lost }), { outcome: 'failed', reason: 'not-found' });
  t.match(await c.pay({ account, outTradeNo: orderNo(), amountFen: 1, authCode: '134567890123456700', subject: 'x' }), {
    reason: 'invalid-code',
  });

  const paid = orderNo();
  await pay(c, '03', paid, 900);
  t.equal(
    (await c.refund({ account, outTradeNo: paid, outRefundNo: 'R1', refundFen: 400, totalFen: 900 })).outcome,
    'success',
  );
  t.equal(
    (await c.refund({ account, outTradeNo: paid, outRefundNo: 'R1', refundFen: 400, totalFen: 900 })).outcome,
    'success',
  );
  t.match(await c.refund({ account, outTradeNo: paid, outRefundNo: 'R2', refundFen: 501, totalFen: 900 }), {
    reason: 'refund-exceeds',
  });
  t.equal(sandbox.ledger.get(account.merchantId, paid)?.refundedFen, 400);

  const qr = orderNo();
  const created = await c.precreate({ account, outTradeNo: qr, amountFen: 500, subject: 'x' });
  t.match(created, { outcome: 'success', walletCode: '09' });
  t.match(created.qrContent, /^https:\/\/qr\.95516\.com\//);
  t.ok(await waitFor(() => sandbox.ledger.get(account.merchantId, qr)?.state === 'paid'));
  t.match(await c.close({ account, outTradeNo: qr }), { outcome: 'failed', reason: 'order-paid' });
  const unpaid = orderNo();
  await c.precreate({ account, outTradeNo: unpaid, amountFen: 599, subject: 'x' });
  t.equal((await c.close({ account, outTradeNo: unpaid })).outcome, 'success');
});

t.test('multiplexing: many requests in flight per link, replies out of order, each matched', async (t) => {
  const { connector: c, sandbox } = await rig(t, { latency: { kind: 'lognormal', medianMs: 5, p99Ms: 40 } });
  const amounts = Array.from({ length: 200 }, (_, i) => 100 + i);
  const results = await Promise.all(amounts.map((a) => pay(c, '00', orderNo(), a)));
  t.same(
    results.map((r) => r.amountFen),
    amounts,
    'every reply went to its own request',
  );
  t.ok(results.every((r) => r.outcome === 'success'));
  t.equal(sandbox.connectionsAccepted, 2, 'two persistent links, no more');
  t.equal(c.unmatched, 0);
});

t.test('a duplicate in-flight key is refused; an unmatched reply is counted', async (t) => {
  const { connector: c, sandbox } = await rig(t, { faults: { slowRate: 1, slowMs: 150 } });
  const msg = {
    mti: '0200',
    fields: {
      3: '300000',
      11: '123456',
      25: '00',
      41: account.appId,
      42: account.merchantId,
      59: 'B1003abc',
      60: '01000001000',
    },
  };
  const first = c.exchange(msg);
  await t.rejects(c.exchange(msg), DuplicateKeyError);
  t.equal((await first).fields[39], '25', 'the first one still completes');

  // A request abandoned by its caller: its late reply matches nothing.
  const abandoned = c.exchange({ ...msg, fields: { ...msg.fields, 11: '123457' } }, AbortSignal.timeout(20));
  await t.rejects(abandoned);
  t.ok(await waitFor(() => c.unmatched === 1), 'late reply counted as unmatched');
  t.ok(sandbox.received['0200']! >= 2);
});

t.test('reconnect with backoff after the host drops the links; lost requests are unknown', async (t) => {
  const { connector: c, sandbox } = await rig(t, { faults: { slowRate: 1, slowMs: 100 } });
  const inFlight = pay(c, '00');
  await new Promise((r) => setTimeout(r, 20));
  sandbox.dropConnections();
  t.match(await inFlight, { outcome: 'unknown' }, 'a request on a dropped link is unknown, never failed');
  // A link is ready on its own 'connect'; the sandbox counts the same connection on its 'connection',
  // which may run a turn later, so both are awaited together.
  t.ok(
    await waitFor(() => c.readyLinks === 2 && sandbox.connectionsAccepted >= 4),
    'both links back, on new connections',
  );
  sandbox.faults.slowRate = 0;
  t.equal((await pay(c, '00')).outcome, 'success');
});

t.test('a ready flag per link; no ready link → failed channel-unavailable (nothing sent)', async (t) => {
  const { connector: c, sandbox } = await rig(t);
  await sandbox.stop();
  t.ok(await waitFor(() => c.readyLinks === 0));
  t.match(await pay(c, '00'), { outcome: 'failed', reason: 'channel-unavailable' });
});

t.test('heartbeats: echoes on idle links; unanswered echoes past the cap drop and reconnect the link', async (t) => {
  const { connector: c, sandbox } = await rig(
    t,
    {},
    { heartbeatMs: 30, heartbeatTimeoutMs: 30, maxMissedHeartbeats: 2 },
  );
  t.ok(await waitFor(() => (sandbox.received['0820'] ?? 0) >= 4), 'echoes sent');
  t.equal(sandbox.connectionsAccepted, 2, 'answered echoes keep the links');
  sandbox.answerEchoes = false;
  t.ok(await waitFor(() => sandbox.connectionsAccepted >= 4), 'links re-established after missed echoes');
  t.ok(c.links.some((l) => l.connects >= 2));
  sandbox.answerEchoes = true;
  t.ok(await waitFor(() => c.readyLinks === 2));
  t.equal((await pay(c, '00')).outcome, 'success');
});
