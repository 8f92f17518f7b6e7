// The pieces without a network: the crash-point switch parses strictly (a typo never crashes a
// process), the wallets file is validated with errors naming the field, and the local bus delivers
// to every subscriber on a later tick.
import t from 'tap';
import { ConfigError } from '../../src/config/serve-config.js';
import { parseCrashAt } from '../../src/flows/crash-points.js';
import { parseWalletsFile } from '../../src/runtime/wallets-file.js';
import { LocalBus } from '../../src/store/bus.js';

t.test('BOXFEP_CRASH_AT', async (t) => {
  t.same(parseCrashAt('before-reply'), { point: 'before-reply', nth: 1 });
  t.same(parseCrashAt('after-wallet-accepted:3'), { point: 'after-wallet-accepted', nth: 3 });
  for (const bad of [undefined, '', 'before-replies', 'before-reply:0', 'before-reply:x', 'after-order-written:1.5']) {
    t.equal(parseCrashAt(bad), undefined, `ignored: ${JSON.stringify(bad)}`);
  }
});

t.test('wallets file', async (t) => {
  const ok = parseWalletsFile(
    JSON.stringify({
      wechat: { url: 'http://127.0.0.1:1', apiKey: 'k', account: { appId: 'wx1', merchantId: 'm1' } },
      alipay: { gatewayUrl: 'http://127.0.0.1:2', alipayPublicKeyPem: 'pub', appPrivateKeyPem: 'priv' },
      unionpay: { host: '127.0.0.1', port: 5900 },
    }),
    'w.json',
  );
  t.equal(ok.WX?.baseUrl, 'http://127.0.0.1:1');
  t.same(ok.WX?.credentials({ appId: 'x', merchantId: 'y' }), { apiKey: 'k' });
  t.same(ok.WX?.account, { appId: 'wx1', merchantId: 'm1' });
  t.same(ok.AL?.credentials({ appId: 'x' }), { appPrivateKeyPem: 'priv', alipayPublicKeyPem: 'pub' });
  t.equal(ok.AL?.account, undefined, 'no default account unless given');
  t.same([ok.UP?.host, ok.UP?.port], ['127.0.0.1', 5900]);
  t.same(parseWalletsFile('{}', 'w.json'), {}, 'an empty file names no wallet');
  const cases: [string, RegExp][] = [
    ['not json', /w\.json is not valid JSON/],
    ['[]', /must hold a JSON object/],
    ['{"wechat": {"url": "u"}}', /wechat\.apiKey: expected a non-empty string/],
    ['{"unionpay": {"host": "h", "port": 70000}}', /unionpay\.port: expected a port number/],
    ['{"alipay": {"gatewayUrl": "g", "alipayPublicKeyPem": "p", "appPrivateKeyPem": "k", "account": 1}}', /account/],
  ];
  for (const [json, msg] of cases)
    t.throws(() => parseWalletsFile(json, 'w.json'), { name: ConfigError.name, message: msg }, json);
});

t.test('local bus', async (t) => {
  const bus = new LocalBus();
  const got: string[] = [];
  let ready = 0;
  const off = bus.subscribe(
    'push',
    (m) => got.push(`a:${m}`),
    () => ready++,
  );
  const offB = bus.subscribe('push', (m) => got.push(`b:${m}`));
  t.equal(await bus.publish('push', 'x'), true);
  t.same(got, [], 'not delivered synchronously');
  await new Promise((r) => setImmediate(r));
  t.same(got.sort(), ['a:x', 'b:x'], 'every subscriber');
  t.equal(ready, 1, 'onReady once');
  await off();
  await offB();
  await bus.publish('push', 'y');
  await new Promise((r) => setImmediate(r));
  t.equal(got.length, 2, 'nothing after unsubscribe');
});
