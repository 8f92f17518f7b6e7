// WeChat-Pay-style connector against its sandbox, over real loopback sockets.
import { request } from 'node:http';
import t from 'tap';
import type { ChannelEvent } from '../../src/channels/channel.js';
import { NotifyServer } from '../../src/channels/notify-server.js';
import { WechatConnector, type WechatConnectorOptions } from '../../src/channels/wechat/connector.js';
import { wechatNotifyHandler } from '../../src/channels/wechat/notify.js';
import { WechatSandbox, type WechatSandboxOptions } from '../../src/channels/wechat/sandbox.js';
import { signed } from '../../src/channels/wechat/sign.js';
import { buildXml } from '../../src/channels/wechat/xml.js';
import { WX_ACCOUNT as account, orderNo, type Teardown, tamperingProxy, waitFor, wxCode } from './helpers.js';

interface Rig {
  sandbox: WechatSandbox;
  connector: WechatConnector;
  notify: NotifyServer;
  events: ChannelEvent[];
}

async function rig(
  t: Teardown,
  sandboxOptions: WechatSandboxOptions = {},
  connectorOptions: Partial<WechatConnectorOptions> = {},
): Promise<Rig> {
  const sandbox = new WechatSandbox({ payDelayMs: 30, notifyRetryDelaysMs: [50, 100], ...sandboxOptions });
  await sandbox.start();
  const credentials = () => ({ apiKey: sandbox.apiKey });
  const notify = new NotifyServer({ handlers: [wechatNotifyHandler(credentials)] });
  await notify.start();
  const events: ChannelEvent[] = [];
  notify.on('event', (e) => events.push(e));
  const connector = new WechatConnector({
    baseUrl: sandbox.url,
    credentials,
    notifyUrl: notify.urlFor('WX'),
    guard: { timeoutMs: 500, retries: 1, retryDelayMs: 10 },
    ...connectorOptions,
  });
  t.teardown(async () => {
    await connector.destroy();
    await sandbox.stop();
    await notify.stop();
  });
  return { sandbox, connector, notify, events };
}

const pay = (c: WechatConnector, last2: string, outTradeNo = orderNo('WX'), amountFen = 1234) =>
  c.pay({ account, outTradeNo, amountFen, authCode: wxCode(last2), subject: 'test' });

t.test('test payment codes drive every B2C path', async (t) => {
  const { connector: c, sandbox } = await rig(t);

  const okNo = orderNo();
  const ok = await pay(c, '00', okNo);
  t.equal(ok.outcome, 'success', '00–79 approved at once');
  t.match(ok.channelOrderId, /^4200\d{18}$/);

  const slowNo = orderNo();
  t.equal((await pay(c, '80', slowNo)).outcome, 'user-paying', '80–84 user paying');
  t.equal((await c.query({ account, outTradeNo: slowNo })).outcome, 'user-paying', 'first query still paying');
  const second = await c.query({ account, outTradeNo: slowNo });
  t.equal(second.outcome, 'success', 'second query paid');
  t.equal(second.amountFen, 1234);

  const neverNo = orderNo();
  t.equal((await pay(c, '85', neverNo)).outcome, 'user-paying', '85–89 user paying');
  for (let i = 0; i < 3; i++) t.equal((await c.query({ account, outTradeNo: neverNo })).walletCode, 'USERPAYING');
  t.equal((await c.cancel({ account, outTradeNo: neverNo })).outcome, 'success', 'reverse');
  t.match(await c.query({ account, outTradeNo: neverNo }), { outcome: 'failed', reason: 'order-reversed' });

  t.match(await pay(c, '90'), { outcome: 'failed', reason: 'insufficient-funds', walletCode: 'NOTENOUGH' });

  const errNo = orderNo();
  t.match(await pay(c, '95', errNo), { outcome: 'unknown', reason: 'system-error', walletCode: 'SYSTEMERROR' });
  t.match(await c.query({ account, outTradeNo: errNo }), { outcome: 'success', walletCode: 'SUCCESS' });

  const lostNo = orderNo();
  const started = Date.now();
  t.match(await pay(c, '98', lostNo), { outcome: 'unknown', reason: 'timeout' }, '98–99 no answer');
  t.ok(Date.now() - started < 1_500, 'the per-call timeout cut it short');
  t.match(await c.query({ account, outTradeNo: lostNo }), { outcome: 'failed', reason: 'not-found' });
  t.notOk(sandbox.ledger.get(account.merchantId, lostNo), 'never booked');

  t.match(await c.pay({ account, outTradeNo: orderNo(), amountFen: 1, authCode: '2812345678901234', subject: 'x' }), {
    outcome: 'failed',
    reason: 'invalid-code',
  });
  t.match(
    await pay(c, '00', okNo),
    {
      outcome: 'failed',
      reason: 'order-paid',
    },
    'a second pay with a used order number is refused',
  );
});

t.test('cancel of a paid order refunds it; refunds are partial, repeated, idempotent', async (t) => {
  const { connector: c, sandbox } = await rig(t);
  const paidNo = orderNo();
  await pay(c, '01', paidNo, 5000);
  t.equal((await c.cancel({ account, outTradeNo: paidNo })).outcome, 'success');
  const reversed = sandbox.ledger.get(account.merchantId, paidNo);
  t.equal(reversed?.state, 'reversed');
  t.equal(reversed?.refundedFen, 5000, 'the money went back');

  const no = orderNo();
  await pay(c, '02', no, 1000);
  const refund = (outRefundNo: string, refundFen: number) =>
    c.refund({ account, outTradeNo: no, outRefundNo, refundFen, totalFen: 1000 });
  t.equal((await refund('R1', 300)).outcome, 'success');
  t.equal((await refund('R1', 300)).outcome, 'success', 'same number: same refund');
  t.equal((await refund('R2', 500)).outcome, 'success');
  t.match(await refund('R3', 201), { outcome: 'failed', reason: 'refund-exceeds' });
  t.equal((await refund('R3', 200)).outcome, 'success');
  t.match(await c.query({ account, outTradeNo: no }), { outcome: 'success', walletCode: 'REFUND' });
  const order = sandbox.ledger.get(account.merchantId, no);
  t.equal(order?.refundedFen, 1000);
  t.same(
    order?.refunds.map((r) => [r.outRefundNo, r.fen]),
    [
      ['R1', 300],
      ['R2', 500],
      ['R3', 200],
    ],
  );
  t.match(await c.refund({ account, outTradeNo: orderNo(), outRefundNo: 'R', refundFen: 1, totalFen: 1 }), {
    reason: 'not-found',
  });
});

t.test('C2B: precreate, customer pays, notification becomes one event; close rules', async (t) => {
  const { connector: c, sandbox, events } = await rig(t);
  const no = orderNo();
  const created = await c.precreate({ account, outTradeNo: no, amountFen: 2500, subject: 'coffee' });
  t.equal(created.outcome, 'success');
  t.match(created.qrContent, /^weixin:\/\/wxpay\/bizpayurl\?pr=/);
  t.equal((await c.query({ account, outTradeNo: no })).walletCode, 'NOTPAY');
  t.ok(await waitFor(() => events.length === 1), 'notified');
  t.match(events[0], { wallet: 'WX', outTradeNo: no, state: 'paid', amountFen: 2500, merchantId: account.merchantId });
  t.type(events[0]?.paidAt, 'number');
  t.match(await c.close({ account, outTradeNo: no }), {
    outcome: 'failed',
    reason: 'order-paid',
    walletCode: 'ORDERPAID',
  });

  const never = orderNo();
  await c.precreate({ account, outTradeNo: never, amountFen: 199, subject: 'never paid' });
  await new Promise((r) => setTimeout(r, 100));
  t.equal((await c.query({ account, outTradeNo: never })).outcome, 'user-paying', '…99 fen is never paid');
  t.equal((await c.close({ account, outTradeNo: never })).outcome, 'success');
  t.equal((await c.close({ account, outTradeNo: never })).outcome, 'success', 'closing twice is fine');
  t.match(await c.query({ account, outTradeNo: never }), { outcome: 'failed', reason: 'order-closed' });
  await sandbox.notifier.idle();
  t.equal(events.length, 1);
});

t.test('notifications: duplicates give one event, out-of-order is harmless, bad signatures are refused', async (t) => {
  const {
    connector: c,
    sandbox,
    notify,
    events,
  } = await rig(t, {
    faults: { duplicateNotifyRate: 1, reorderNotify: true },
    reorderWindowMs: 80,
  });
  const nos = [orderNo(), orderNo(), orderNo()];
  for (const no of nos) await c.precreate({ account, outTradeNo: no, amountFen: 100, subject: 'x' });
  t.ok(await waitFor(() => sandbox.notifier.deliveries.length === 6));
  await sandbox.notifier.idle();
  t.equal(sandbox.notifier.deliveries.length, 6, 'each sent twice');
  t.ok(
    sandbox.notifier.deliveries.every((d) => d.acknowledged),
    'all acknowledged',
  );
  t.same(events.map((e) => e.outTradeNo).sort(), [...nos].sort(), 'one event per order');

  const forged = signed(
    { return_code: 'SUCCESS', result_code: 'SUCCESS', appid: account.appId, mch_id: account.merchantId },
    'not-the-key',
  );
  const reply = await post(`${notify.urlFor('WX')}`, buildXml({ ...forged, out_trade_no: 'X1', total_fee: '1' }));
  t.match(reply, /<return_code><!\[CDATA\[FAIL\]\]><\/return_code>/);
  const garbage = await post(`${notify.urlFor('WX')}`, '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml/>');
  t.match(garbage, /FAIL/);
  t.equal(events.length, 3, 'no event from a forged notification');
});

t.test('a tampered response is rejected (outcome unknown, never acted on)', async (t) => {
  const sandbox = new WechatSandbox();
  await sandbox.start();
  const proxy = await tamperingProxy(sandbox.url, (b) =>
    b.replace('<total_fee>1234</total_fee>', '<total_fee>1</total_fee>'),
  );
  const c = new WechatConnector({
    baseUrl: proxy.url,
    credentials: () => ({ apiKey: sandbox.apiKey }),
    notifyUrl: 'http://127.0.0.1:9/notify/wechat',
    guard: { timeoutMs: 1_000 },
  });
  t.teardown(async () => {
    await c.destroy();
    await proxy.close();
    await sandbox.stop();
  });
  t.match(await pay(c, '00'), { outcome: 'unknown', reason: 'bad-signature' });
});

t.test('keep-alive: many calls reuse a few TCP connections', async (t) => {
  const { connector: c, sandbox } = await rig(t, {}, { pool: { connections: 4 } });
  for (let i = 0; i < 30; i++) await pay(c, '00');
  // undici may open a second socket while the first is still being returned to the pool; after
  // that, every call reuses them.
  t.ok(sandbox.connectionsAccepted <= 2, `30 sequential calls, ${sandbox.connectionsAccepted} connections`);
  await Promise.all(Array.from({ length: 40 }, () => pay(c, '00')));
  t.ok(sandbox.connectionsAccepted <= 4, `concurrent calls stay within the pool (${sandbox.connectionsAccepted})`);
  t.ok(c.openConnections >= 1);
});

t.test('the breaker opens after consecutive failures and closes after a good probe', async (t) => {
  const states: string[] = [];
  const { connector: c, sandbox } = await rig(
    t,
    { faults: { errorRate: 1 } },
    {
      guard: {
        timeoutMs: 500,
        retries: 0,
        breaker: { failureThreshold: 3, openMs: 150, halfOpenProbes: 1, onStateChange: (s) => states.push(s) },
      },
    },
  );
  for (let i = 0; i < 3; i++) t.equal((await pay(c, '00')).walletCode, 'SYSTEMERROR');
  const before = sandbox.ledger.snapshot().length;
  const refused = await pay(c, '00');
  t.match(refused, { outcome: 'failed', reason: 'channel-unavailable', walletCode: 'BREAKER_OPEN' });
  t.equal(sandbox.ledger.snapshot().length, before, 'an open breaker sends nothing');
  sandbox.faults.errorRate = 0;
  await new Promise((r) => setTimeout(r, 170));
  t.equal((await pay(c, '00')).outcome, 'success', 'half-open probe goes through');
  t.equal(c.guard.breaker.state, 'closed');
  t.same(states, ['open', 'half-open', 'closed']);
});

t.test('dropped connections and slow answers become unknown; idempotent calls retry', async (t) => {
  const { connector: c, sandbox } = await rig(t, {}, { guard: { timeoutMs: 200, retries: 2, retryDelayMs: 5 } });
  const no = orderNo();
  await pay(c, '00', no);
  sandbox.faults.dropRate = 1;
  t.match(await pay(c, '00'), { outcome: 'unknown', reason: 'system-error' }, 'dropped pay is unknown');
  sandbox.faults.dropRate = 0;
  sandbox.faults.slowRate = 1;
  sandbox.faults.slowMs = 400;
  t.match(await c.query({ account, outTradeNo: no }), { outcome: 'unknown', reason: 'timeout' });
  sandbox.faults.slowRate = 0;
  t.equal((await c.query({ account, outTradeNo: no })).outcome, 'success');
});

function post(url: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'text/xml' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// The pool runs without undici's header and body timers (http-transport.ts): the guard's deadline is
// the only clock on an attempt, so it must cancel a stalled request and give its connection back.
t.test('an expired deadline aborts a stalled request and frees its connection', async (t) => {
  const { connector: c, sandbox } = await rig(
    t,
    {},
    { pool: { connections: 1 }, guard: { timeoutMs: 300, retries: 0 } },
  );
  t.equal((await pay(c, '00')).outcome, 'success', 'warm-up over the one connection');
  t.equal(c.openConnections, 1);
  sandbox.faults.slowRate = 1;
  sandbox.faults.slowMs = 2_000;
  t.match(await pay(c, '00'), { outcome: 'unknown', reason: 'timeout' }, 'a stalled pay times out');
  sandbox.faults.slowRate = 0;
  t.ok(await waitFor(() => c.openConnections === 0, 1_000), 'the stalled request’s connection is closed');
  // With one connection, a request still holding it would keep this one waiting past its 300 ms.
  t.equal((await pay(c, '00')).outcome, 'success', 'the next call gets the connection at once');
  t.equal(c.openConnections, 1);
});
