// Alipay-style connector against its sandbox, over real loopback sockets.
import t from 'tap';
import { AlipayConnector, type AlipayConnectorOptions } from '../../src/channels/alipay/connector.js';
import { generateRsa2KeyPair } from '../../src/channels/alipay/keys.js';
import { alipayNotifyHandler } from '../../src/channels/alipay/notify.js';
import { AlipaySandbox, type AlipaySandboxOptions } from '../../src/channels/alipay/sandbox.js';
import { inlineRsaSigner, signContent } from '../../src/channels/alipay/sign.js';
import type { ChannelEvent } from '../../src/channels/channel.js';
import { NotifyServer } from '../../src/channels/notify-server.js';
import { AL_ACCOUNT as account, alCode, orderNo, type Teardown, tamperingProxy, waitFor } from './helpers.js';

const alipayKeys = generateRsa2KeyPair();
const appKeys = generateRsa2KeyPair();
const credentials = () => ({ appPrivateKeyPem: appKeys.privateKeyPem, alipayPublicKeyPem: alipayKeys.publicKeyPem });

async function rig(
  t: Teardown,
  sandboxOptions: AlipaySandboxOptions = {},
  options: Partial<AlipayConnectorOptions> = {},
) {
  const sandbox = new AlipaySandbox({
    alipayKeys,
    appKeys,
    payDelayMs: 30,
    notifyRetryDelaysMs: [50, 100],
    ...sandboxOptions,
  });
  await sandbox.start();
  const notify = new NotifyServer({ handlers: [alipayNotifyHandler(credentials)] });
  await notify.start();
  const events: ChannelEvent[] = [];
  notify.on('event', (e) => events.push(e));
  const connector = new AlipayConnector({
    gatewayUrl: sandbox.url,
    credentials,
    notifyUrl: notify.urlFor('AL'),
    guard: { timeoutMs: 500, retries: 1, retryDelayMs: 10 },
    ...options,
  });
  t.teardown(async () => {
    await connector.destroy();
    await sandbox.stop();
    await notify.stop();
  });
  return { sandbox, connector, notify, events };
}

const pay = (c: AlipayConnector, last2: string, outTradeNo = orderNo('AL'), amountFen = 1234) =>
  c.pay({ account, outTradeNo, amountFen, authCode: alCode(last2), subject: 'test' });

t.test('test payment codes drive every B2C path', async (t) => {
  const { connector: c, sandbox } = await rig(t);
  const okNo = orderNo();
  const ok = await pay(c, '00', okNo);
  t.match(ok, { outcome: 'success', walletCode: '10000', amountFen: 1234 });
  t.match(ok.channelOrderId, /^2026\d{18}$/);
  t.match(await pay(c, '00', okNo), { outcome: 'failed', reason: 'order-paid' }, 'used order number refused');

  const slowNo = orderNo();
  t.match(await pay(c, '84', slowNo), { outcome: 'user-paying', walletCode: 'WAIT_BUYER_PAY' });
  t.equal((await c.query({ account, outTradeNo: slowNo })).outcome, 'user-paying');
  t.equal((await c.query({ account, outTradeNo: slowNo })).walletCode, 'TRADE_SUCCESS', 'paid on the 2nd query');

  const neverNo = orderNo();
  t.equal((await pay(c, '89', neverNo)).outcome, 'user-paying');
  t.equal((await c.query({ account, outTradeNo: neverNo })).outcome, 'user-paying');
  t.equal((await c.query({ account, outTradeNo: neverNo })).outcome, 'user-paying', 'never completes');
  t.equal((await c.cancel({ account, outTradeNo: neverNo })).outcome, 'success');
  t.match(await c.query({ account, outTradeNo: neverNo }), { outcome: 'failed', walletCode: 'TRADE_CLOSED' });

  t.match(await pay(c, '94'), {
    outcome: 'failed',
    reason: 'insufficient-funds',
    walletCode: 'ACQ.BUYER_BALANCE_NOT_ENOUGH',
  });

  const errNo = orderNo();
  t.match(await pay(c, '97', errNo), { outcome: 'unknown', reason: 'system-error', walletCode: 'ACQ.SYSTEM_ERROR' });
  t.match(await c.query({ account, outTradeNo: errNo }), { outcome: 'success' }, 'the query shows paid');

  const lostNo = orderNo();
  t.match(await pay(c, '99', lostNo), { outcome: 'unknown', reason: 'timeout' });
  t.match(await c.query({ account, outTradeNo: lostNo }), { outcome: 'failed', reason: 'not-found' });
  t.equal((await c.cancel({ account, outTradeNo: lostNo })).outcome, 'success', 'cancel books a tombstone');
  t.match(await pay(c, '00', lostNo), { outcome: 'failed', reason: 'order-closed' }, 'a late pay is refused');
  t.equal(sandbox.ledger.get(account.appId, lostNo)?.state, 'reversed');

  t.match(await c.pay({ account, outTradeNo: orderNo(), amountFen: 5, authCode: '134567890123456700', subject: 'x' }), {
    outcome: 'failed',
    reason: 'invalid-code',
  });
});

t.test('refunds: partial, repeated, idempotent on the number; cancel of a paid order refunds it', async (t) => {
  const { connector: c, sandbox } = await rig(t);
  const no = orderNo();
  await pay(c, '10', no, 1000);
  const refund = (outRefundNo: string, refundFen: number) =>
    c.refund({ account, outTradeNo: no, outRefundNo, refundFen, totalFen: 1000 });
  t.match(await refund('R1', 250), { outcome: 'success', refundedFen: 250 });
  t.match(await refund('R1', 250), { outcome: 'success', refundedFen: 250 }, 'same number, no new refund');
  t.match(await refund('R1', 300), { outcome: 'failed', walletCode: 'ACQ.CONTEXT_INCONSISTENT' });
  t.match(await refund('R2', 751), { outcome: 'failed', reason: 'refund-exceeds' });
  t.match(await refund('R2', 750), { outcome: 'success', refundedFen: 1000 });
  t.equal(sandbox.ledger.get(account.appId, no)?.refunds.length, 2);

  const paidNo = orderNo();
  await pay(c, '11', paidNo, 700);
  t.equal((await c.cancel({ account, outTradeNo: paidNo })).outcome, 'success');
  t.match(sandbox.ledger.get(account.appId, paidNo), { state: 'reversed', refundedFen: 700 });
});

t.test('C2B: precreate, paid and notified; close of a paid order fails; …99 never paid', async (t) => {
  const { connector: c, events } = await rig(t);
  const no = orderNo();
  const created = await c.precreate({ account, outTradeNo: no, amountFen: 4200, subject: 'tea' });
  t.match(created, { outcome: 'success' });
  t.match(created.qrContent, /^https:\/\/qr\.alipay\.com\/bax/);
  t.ok(await waitFor(() => events.length === 1));
  t.match(events[0], { wallet: 'AL', outTradeNo: no, state: 'paid', amountFen: 4200, merchantId: account.merchantId });
  t.match(await c.close({ account, outTradeNo: no }), { outcome: 'failed', reason: 'order-paid' });

  const never = orderNo();
  await c.precreate({ account, outTradeNo: never, amountFen: 1099, subject: 'never' });
  await new Promise((r) => setTimeout(r, 100));
  t.equal((await c.query({ account, outTradeNo: never })).walletCode, 'WAIT_BUYER_PAY');
  t.equal((await c.close({ account, outTradeNo: never })).outcome, 'success');
  t.equal(events.length, 1);
});

t.test('notifications: duplicated and out of order give one event per state; bad signatures refused', async (t) => {
  const {
    connector: c,
    sandbox,
    notify,
    events,
  } = await rig(t, {
    notifyPending: true,
    faults: { duplicateNotifyRate: 1, reorderNotify: true },
    reorderWindowMs: 100,
  });
  const no = orderNo();
  await c.precreate({ account, outTradeNo: no, amountFen: 300, subject: 'x' });
  t.ok(await waitFor(() => sandbox.notifier.deliveries.length === 4), 'pending + paid, each twice');
  await sandbox.notifier.idle();
  t.same(
    sandbox.notifier.deliveries.map((d) => d.label),
    ['TRADE_SUCCESS', 'TRADE_SUCCESS', 'WAIT_BUYER_PAY', 'WAIT_BUYER_PAY'],
    'the stale pending arrives last',
  );
  t.ok(sandbox.notifier.deliveries.every((d) => d.acknowledged));
  t.same(
    events.map((e) => e.state),
    ['paid'],
    'one event: duplicates dropped, the stale pending ignored',
  );

  const params: Record<string, string> = {
    app_id: account.appId,
    out_trade_no: 'FORGED',
    trade_status: 'TRADE_SUCCESS',
    total_amount: '1.00',
    seller_id: account.merchantId,
  };
  // Signed with the app's key, not Alipay's: must not verify.
  const sig = await inlineRsaSigner(appKeys.privateKeyPem, Buffer.from(signContent(params)));
  const res = await fetch(notify.urlFor('AL'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...params, sign_type: 'RSA2', sign: sig.toString('base64') }).toString(),
  });
  t.equal(await res.text(), 'failure');
  t.equal(events.length, 1, 'no event from the forgery');
});

t.test('a tampered response is rejected', async (t) => {
  const sandbox = new AlipaySandbox({ alipayKeys, appKeys });
  await sandbox.start();
  const proxy = await tamperingProxy(sandbox.url, (b) => b.replace('"code":"40004"', '"code":"10000"'));
  const c = new AlipayConnector({
    gatewayUrl: `${proxy.url}/gateway.do`,
    credentials,
    notifyUrl: 'http://127.0.0.1:9/',
  });
  t.teardown(async () => {
    await c.destroy();
    await proxy.close();
    await sandbox.stop();
  });
  t.match(await pay(c, '90'), { outcome: 'unknown', reason: 'bad-signature' }, 'forged success is not believed');
  const wrongKey = new AlipayConnector({
    gatewayUrl: sandbox.url,
    credentials: () => ({ appPrivateKeyPem: alipayKeys.privateKeyPem, alipayPublicKeyPem: alipayKeys.publicKeyPem }),
    notifyUrl: 'http://127.0.0.1:9/',
  });
  t.teardown(() => wrongKey.destroy());
  t.match(await pay(wrongKey, '00'), {
    outcome: 'failed',
    reason: 'invalid-merchant',
    walletCode: 'isv.invalid-signature',
  });
});

t.test('signing goes through the injected signer (the crypto pool plugs in here)', async (t) => {
  let calls = 0;
  const { connector: c } = await rig(
    t,
    {},
    {
      signer: (pem, data) => {
        calls++;
        return inlineRsaSigner(pem, data);
      },
    },
  );
  t.equal((await pay(c, '00')).outcome, 'success');
  t.equal(calls, 1);
});

t.test('keep-alive reuse, breaker and timeouts', async (t) => {
  const { connector: c, sandbox } = await rig(
    t,
    {},
    {
      pool: { connections: 2 },
      guard: { timeoutMs: 300, retries: 0, breaker: { failureThreshold: 2, openMs: 100, halfOpenProbes: 1 } },
    },
  );
  for (let i = 0; i < 20; i++) await pay(c, '00');
  await Promise.all(Array.from({ length: 20 }, () => pay(c, '00')));
  t.ok(sandbox.connectionsAccepted <= 2, `40 calls over ${sandbox.connectionsAccepted} connections`);

  sandbox.faults.slowRate = 1;
  sandbox.faults.slowMs = 500;
  t.match(await pay(c, '00'), { reason: 'timeout' });
  t.match(await pay(c, '00'), { reason: 'timeout' });
  t.match(await pay(c, '00'), { outcome: 'failed', walletCode: 'BREAKER_OPEN' });
  sandbox.faults.slowRate = 0;
  await new Promise((r) => setTimeout(r, 120));
  t.equal((await pay(c, '00')).outcome, 'success');
  t.equal(c.guard.breaker.state, 'closed');
});
