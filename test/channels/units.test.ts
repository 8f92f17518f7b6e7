// The pure pieces of src/channels: breaker, limiter, routing, XML, signatures, amounts, latency.
import { createHmac } from 'node:crypto';
import t from 'tap';
import { fenToYuan, rawMember, signContent, yuanToFen } from '../../src/channels/alipay/sign.js';
import { CircuitBreaker } from '../../src/channels/breaker.js';
import { BusyError, ConcurrencyLimiter } from '../../src/channels/limiter.js';
import { isWalletReason, WALLET_REASONS } from '../../src/channels/outcomes.js';
import { RoutingError, routePaymentCode, walletForPaymentCode } from '../../src/channels/routing.js';
import { LEDGER_MAX_ORDERS, Ledger } from '../../src/channels/sandbox/ledger.js';
import { latencySampler, parseLatency, seededRandom } from '../../src/channels/sandbox/random.js';
import { scenarioForCode } from '../../src/channels/sandbox/test-codes.js';
import { Pending } from '../../src/channels/unionpay/connector.js';
import type { Link } from '../../src/channels/unionpay/link.js';
import {
  buildHostRequest,
  type HostRequest,
  TAG_ORDER_NO,
  TAG_REFUND_NO,
} from '../../src/channels/unionpay/messages.js';
import { readReplyTags } from '../../src/channels/unionpay/reply-tags.js';
import { interpret } from '../../src/channels/wechat/codes.js';
import { sign, signString, verify } from '../../src/channels/wechat/sign.js';
import { buildXml, parseXml, XmlFormatError } from '../../src/channels/wechat/xml.js';
import { ChurnMap } from '../../src/heap/churn-map.js';
import { buildField59, type IsoMessage, parseField59 } from '../../src/iso8583/index.js';
import type { MerchantRecord } from '../../src/terminals/types.js';

t.test('breaker: opens after N consecutive failures, half-open probe decides', (t) => {
  let now = 0;
  const b = new CircuitBreaker({ failureThreshold: 3, openMs: 1000, halfOpenProbes: 1, now: () => now });
  b.failure();
  b.failure();
  b.success();
  b.failure();
  b.failure();
  t.equal(b.state, 'closed', 'a success resets the count');
  b.failure();
  t.equal(b.state, 'open');
  t.notOk(b.tryAcquire());
  now = 999;
  t.equal(b.state, 'open');
  now = 1000;
  t.equal(b.state, 'half-open');
  t.ok(b.tryAcquire(), 'one probe');
  t.notOk(b.tryAcquire(), 'only one');
  b.failure();
  t.equal(b.state, 'open', 'failed probe re-opens');
  now = 2000;
  t.ok(b.tryAcquire());
  b.success();
  t.equal(b.state, 'closed');
  t.end();
});

t.test('limiter: bounded in flight, FIFO queue, full queue and abort are BusyError', async (t) => {
  const l = new ConcurrencyLimiter(2, 1);
  const r1 = await l.acquire();
  await l.acquire();
  const order: number[] = [];
  const waiting = l.acquire().then((r) => {
    order.push(3);
    return r;
  });
  await t.rejects(l.acquire(), BusyError, 'queue full');
  t.equal(l.inFlight, 2);
  r1();
  r1();
  (await waiting)();
  t.same(order, [3]);
  t.equal(l.inFlight, 1, 'double release counted once');
  const l2 = new ConcurrencyLimiter(1, 5);
  await l2.acquire();
  const ac = new AbortController();
  const p = l2.acquire(ac.signal);
  ac.abort();
  await t.rejects(p, BusyError);
  t.equal(l2.queued, 0);
});

t.test('routing by prefix and length (protocol §7)', (t) => {
  t.equal(walletForPaymentCode('134567890123456789'), 'WX');
  t.equal(walletForPaymentCode('1345678901234567890'), undefined, 'WeChat is 18 digits');
  t.equal(walletForPaymentCode('2812345678901234'), 'AL', '16 digits');
  t.equal(walletForPaymentCode('281234567890123456789012'), 'AL', '24 digits');
  t.equal(walletForPaymentCode('6212345678901234567'), 'UP');
  t.equal(walletForPaymentCode('1612345678901234'), undefined);
  t.equal(walletForPaymentCode('13456789012345678x'), undefined);
  t.equal(walletForPaymentCode('99123', [{ wallet: 'UP', prefixes: ['99'], lengths: [5] }]), 'UP', 'configurable');
  const merchant: MerchantRecord = {
    mid: '123456789012345',
    name: 'm',
    limits: {},
    wallets: { WX: { appId: 'wx1', merchantId: '100' } },
  };
  t.same(routePaymentCode('134567890123456789', merchant), {
    wallet: 'WX',
    account: { appId: 'wx1', merchantId: '100' },
  });
  t.throws(() => routePaymentCode('2812345678901234', merchant), new RoutingError('no-account', ''));
  t.throws(() => routePaymentCode('0000', merchant), { code: 'invalid-code' });
  t.end();
});

t.test('WeChat v2 signature: the public HMAC-SHA256 example', (t) => {
  const fields = {
    appid: 'wxd930ea5d5a258f4f',
    mch_id: '10000100',
    device_info: '1000',
    body: 'test',
    nonce_str: 'ibuaiVcKdpRxkhJA',
  };
  const key = '192006250b4c09247ec02edce69f6a2d';
  t.equal(
    signString(fields, key),
    'appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA&key=192006250b4c09247ec02edce69f6a2d',
  );
  t.equal(sign(fields, key), '6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6');
  t.ok(verify({ ...fields, sign: sign(fields, key) }, key));
  t.notOk(verify({ ...fields, body: 'tést', sign: sign(fields, key) }, key));
  t.notOk(verify(fields, key), 'missing sign');
  t.end();
});

t.test('WeChat v2 signature: the one-shot HMAC equals createHmac for random fields and keys', (t) => {
  // sign() computes HMAC-SHA256 from two hashes; the reference is node's createHmac over signString().
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const alphabet = ['a', 'Z', '0', '9', '_', '=', '&', ' ', 'é', '中', '文', '\u{1F600}', ']]>', '<'];
  const text = (max: number) => Array.from({ length: rnd(max) }, () => alphabet[rnd(alphabet.length)]).join('');
  const keys = [
    '192006250b4c09247ec02edce69f6a2d',
    'k'.repeat(64),
    'k'.repeat(65), // longer than a SHA-256 block: hashed first
    'ключ-не-ASCII', // bytes ≥ 0x80: the createHmac path
    '',
  ];
  for (let i = 0; i < 500; i++) {
    const fields: Record<string, string> = {};
    for (let n = rnd(14); n >= 0; n--) fields[`f${rnd(40)}_${text(3)}`] = text(40);
    if (rnd(2)) fields.sign = 'ABC';
    const key = keys[i % keys.length]!;
    const expected = createHmac('sha256', key).update(signString(fields, key), 'utf8').digest('hex').toUpperCase();
    if (sign(fields, key) !== expected) {
      t.fail(`signature differs for ${JSON.stringify(fields)} under key #${i % keys.length}`);
      break;
    }
    if (!verify({ ...fields, sign: expected }, key)) {
      t.fail('a correct signature does not verify');
      break;
    }
    if (verify({ ...fields, sign: expected.toLowerCase() }, key) || verify({ ...fields, sign: `${expected}0` }, key)) {
      t.fail('a wrong signature verifies');
      break;
    }
  }
  t.pass('500 random documents');
  t.end();
});

t.test('WeChat XML: round trip, CDATA edge, entities, XXE refused', (t) => {
  const f = { a: 'x]]>y', n: '12', s: '<&>' };
  t.same(parseXml(buildXml(f)), f);
  t.same(parseXml('<?xml version="1.0"?>\n<xml> <k>a&amp;b</k>\n</xml>'), { k: 'a&b' });
  t.throws(() => parseXml('<!DOCTYPE xml [<!ENTITY x "y">]><xml><a>&x;</a></xml>'), XmlFormatError);
  t.throws(() => parseXml('<xml><a>1</b></xml>'), XmlFormatError);
  t.throws(() => parseXml('{"json":1}'), XmlFormatError);
  // Mixed text, entities and split CDATA take the scanner; an odd `<` inside a value the regex fallback.
  t.same(parseXml('<xml><a>p&amp;q<![CDATA[<r>]]>&lt;</a><b><![CDATA[x]]]]><![CDATA[>y]]></b></xml>'), {
    a: 'p&q<r><',
    b: 'x]]>y',
  });
  t.same(parseXml('<xml><a><![CDATA[x]]>y<b]]></a></xml>'), { a: 'xy<b]]>' });
  t.throws(() => parseXml('<xml><a><![CDATA[x</a></xml>'), XmlFormatError, 'an unterminated CDATA');
  t.end();
});

t.test('WeChat codes: every reason is a known one', (t) => {
  t.match(interpret('pay', { return_code: 'SUCCESS', result_code: 'FAIL', err_code: 'AUTHCODEEXPIRE' }), {
    outcome: 'failed',
    reason: 'code-expired',
  });
  t.match(
    interpret('pay', { return_code: 'SUCCESS', result_code: 'FAIL', err_code: 'NEW_CODE' }),
    {
      outcome: 'unknown',
    },
    'unlisted codes are unknown: query, never assume',
  );
  t.match(interpret('close', { return_code: 'SUCCESS', result_code: 'FAIL', err_code: 'ORDERCLOSED' }), {
    outcome: 'success',
  });
  t.ok(isWalletReason('order-paid'));
  t.notOk(isWalletReason('nope'));
  t.equal(new Set(WALLET_REASONS).size, WALLET_REASONS.length);
  t.end();
});

t.test('Alipay helpers: sign content, raw response member, amounts', (t) => {
  t.equal(signContent({ b: '2', a: '1', sign: 'x', e: '' }), 'a=1&b=2');
  const body = '{"alipay_trade_pay_response":{"code":"10000","msg":"a \\"}\\" b","n":{"x":1}},"sign":"abc"}';
  t.equal(rawMember(body, 'alipay_trade_pay_response'), '{"code":"10000","msg":"a \\"}\\" b","n":{"x":1}}');
  t.equal(rawMember(body, 'missing'), undefined);
  t.equal(fenToYuan(1234), '12.34');
  t.equal(fenToYuan(5), '0.05');
  t.equal(fenToYuan(100000), '1000.00');
  t.equal(yuanToFen('12.34'), 1234);
  t.equal(yuanToFen('0.5'), 50);
  t.equal(yuanToFen('7'), 700);
  t.equal(yuanToFen('1.234'), undefined);
  t.equal(yuanToFen('-1'), undefined);
  t.end();
});

t.test('test codes and latency model', (t) => {
  const cases: [string, string][] = [
    ['00', 'approve'],
    ['79', 'approve'],
    ['80', 'paying-then-approve'],
    ['85', 'paying-forever'],
    ['90', 'insufficient-funds'],
    ['95', 'system-error-paid'],
    ['98', 'no-answer'],
    ['99', 'no-answer'],
  ];
  for (const [d, s] of cases) t.equal(scenarioForCode(`13456789012345${d}`), s, d);
  const sample = latencySampler({ kind: 'lognormal', medianMs: 20, p99Ms: 80 }, seededRandom(7));
  const xs = Array.from({ length: 20_000 }, sample).sort((a, b) => a - b);
  const p50 = xs[10_000]!;
  const p99 = xs[19_800]!;
  t.ok(p50 > 18 && p50 < 22, `median ${p50.toFixed(1)}`);
  t.ok(p99 > 70 && p99 < 92, `p99 ${p99.toFixed(1)}`);
  t.same(parseLatency('lognormal:20:80'), { kind: 'lognormal', medianMs: 20, p99Ms: 80 });
  t.same(parseLatency('fixed:5'), { kind: 'fixed', ms: 5 });
  t.throws(() => parseLatency('lognormal:80:20'), RangeError);
  t.end();
});

t.test('sandbox ledger: remembers the newest orders up to its bound, as its own copies', (t) => {
  t.ok(LEDGER_MAX_ORDERS >= 100_000, 'a long load test fits');
  const ledger = new Ledger('T', Date.now, 3);
  const acct = { appId: 'app', merchantId: 'm1' };
  const body = `<xml>${'x'.repeat(1_000)}</xml>`;
  for (let i = 1; i <= 5; i++) {
    const outTradeNo = body.slice(5, 25).replace(/^x{2}/, `${i}-`);
    t.match(ledger.pay(acct, outTradeNo, 100, '134567890123456700'), { kind: 'paid' });
  }
  t.equal(ledger.snapshot().length, 3, 'the two oldest were forgotten');
  t.equal(ledger.get('m1', `1-${'x'.repeat(18)}`), undefined);
  t.match(ledger.get('m1', `5-${'x'.repeat(18)}`), { state: 'paid', amountFen: 100 });
  t.end();
});

t.test('UnionPay exchange in flight: settles once, then holds neither its resolvers nor the reply', (t) => {
  const table = new ChurnMap<string, Pending>();
  const link = { inFlight: 0 } as unknown as Link;
  const replies: IsoMessage[] = [];
  const errors: unknown[] = [];
  const p = new Pending(
    '00000001|000001|02',
    link,
    table,
    (m) => replies.push(m),
    (e) => errors.push(e),
  );
  t.equal(table.get('00000001|000001|02'), p, 'in the table while in flight');
  t.equal(link.inFlight, 1);
  const reply: IsoMessage = { mti: '0210', fields: { 11: '000001', 39: '00', 41: '00000001' } };
  p.resolve(reply);
  p.resolve(reply);
  p.reject(new Error('late'));
  t.same(replies, [reply], 'resolved once');
  t.same(errors, [], 'a later rejection is ignored');
  t.equal(table.size, 0, 'out of the table');
  t.equal(link.inFlight, 0);
  // What a table V8 left behind could still reach through it: no function (the resolvers) and not the reply.
  const held = Object.values(p);
  t.notOk(
    held.some((v) => typeof v === 'function'),
    'no resolver or detach hook kept',
  );
  t.notOk(held.includes(reply), 'the reply is not kept');

  const q = new Pending(
    'k',
    link,
    table,
    () => t.fail('not resolved'),
    (e) => errors.push(e),
  );
  q.reject(new Error('link down'));
  t.equal(errors.length, 1, 'rejected once');
  t.notOk(
    Object.values(q).some((v) => typeof v === 'function'),
    'a rejected exchange lets go of them too',
  );
  t.end();
});

/** Up to 19 items: past the scan's 16 it hands over to parseField59. */
const MAX_ITEMS_TRIED = 20;

t.test('UnionPay reply tags: the in-place scan reads field 59 as parseField59 does, malformed ones too', (t) => {
  const reference = (f59: string) => {
    let items = new Map<string, string>();
    try {
      items = parseField59(f59);
    } catch {
      // malformed: no items
    }
    return { message: items.get('A9') ?? '', orderId: items.get('A8') ?? '', qr: items.get('A6') ?? '' };
  };
  let seed = 11;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const tagsPool = ['A6', 'A8', 'A9', 'A1', 'B1', 'B2', 'A7', '6A', 'a9'];
  const chars = 'abcXYZ0189 -=&é漢\u00ff';
  let malformed = 0;
  for (let i = 0; i < 3_000; i++) {
    let f59 = '';
    const items = rand(MAX_ITEMS_TRIED);
    for (let k = 0; k < items; k++) {
      let value = '';
      for (let j = rand(k === 0 ? 40 : 12); j > 0; j--) value += chars[rand(chars.length)];
      f59 += tagsPool[rand(tagsPool.length)]! + String(value.length).padStart(3, '0') + value;
    }
    // Some fields broken: cut short, a length digit replaced, or a stray tail.
    const damage = rand(6);
    if (damage === 0 && f59.length > 0) f59 = f59.slice(0, rand(f59.length));
    if (damage === 1 && f59.length > 3) f59 = `${f59.slice(0, 3)}x${f59.slice(4)}`;
    if (damage === 2) f59 += 'A9';
    if (reference(f59).message === '' && f59 !== '') malformed++;
    t.same(readReplyTags(f59), reference(f59), f59);
  }
  t.ok(malformed > 0, 'some fields were malformed or had no A9');
  t.end();
});

// buildHostRequest as it was before its fields became one literal per operation: the reference.
function hostRequestBefore(r: HostRequest): IsoMessage {
  const tags: [string, string][] = [];
  if (r.authCode) tags.push(['A3', r.authCode]);
  if (r.op === 'precreate') tags.push(['A4', 'UP']);
  tags.push([TAG_ORDER_NO, r.outTradeNo]);
  if (r.outRefundNo) tags.push([TAG_REFUND_NO, r.outRefundNo]);
  const fields: Record<number, string> = { 11: r.stan, 41: r.tid, 42: r.mid, 59: buildField59(tags) };
  fields[25] = '00';
  const amount = (fen: number) => String(fen).padStart(12, '0');
  switch (r.op) {
    case 'pay':
    case 'precreate':
      Object.assign(fields, { 3: '000000', 4: amount(r.amountFen ?? 0), 22: '032', 49: '156', 60: `22${r.batch}000` });
      return { mti: '0200', fields };
    case 'query':
      Object.assign(fields, { 3: '300000', 60: `01${r.batch}000` });
      return { mti: '0200', fields };
    case 'cancel':
    case 'close':
      Object.assign(fields, { 3: '000000', 39: r.op === 'cancel' ? '98' : '06', 60: `22${r.batch}000` });
      return { mti: '0400', fields };
    case 'refund':
      Object.assign(fields, { 3: '200000', 4: amount(r.amountFen ?? 0), 49: '156', 60: `25${r.batch}000` });
      return { mti: '0220', fields };
  }
}

t.test('UnionPay host requests: the same message (fields, key order, errors) as before, every operation', (t) => {
  const ops = ['pay', 'precreate', 'query', 'cancel', 'close', 'refund'] as const;
  const rnd = seededRandom(7);
  const str = (max: number) =>
    Array.from({ length: Math.floor(rnd() * max) }, () => String.fromCharCode(0x20 + Math.floor(rnd() * 95))).join('');
  let errors = 0;
  for (let i = 0; i < 3_000; i++) {
    const r: HostRequest = {
      op: ops[i % ops.length] as HostRequest['op'],
      tid: str(9),
      mid: str(16),
      stan: String(i).padStart(6, '0'),
      batch: '000001',
      // Now and then a value too long for field 59 (over 999): both must refuse it alike.
      outTradeNo: rnd() < 0.02 ? 'x'.repeat(1_000) : str(40),
      amountFen: rnd() < 0.5 ? Math.floor(rnd() * 1e9) : undefined,
      authCode: rnd() < 0.3 ? str(24) : undefined,
      outRefundNo: rnd() < 0.3 ? str(40) : undefined,
    };
    let before: unknown;
    let after: unknown;
    try {
      before = hostRequestBefore(r);
    } catch (err) {
      before = String(err);
    }
    try {
      after = buildHostRequest(r);
    } catch (err) {
      after = String(err);
    }
    if (typeof before === 'string') errors++;
    if (JSON.stringify(after) !== JSON.stringify(before)) {
      t.fail(`differs for ${JSON.stringify(r)}: ${JSON.stringify(after)} vs ${JSON.stringify(before)}`);
      break;
    }
  }
  t.ok(errors > 0, `refusals compared too (${errors})`);
  t.end();
});
