// `boxfep sandbox` as a process: prints addresses and keys, serves all three wallets, exits on SIGTERM.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import t from 'tap';
import { AlipayConnector } from '../../src/channels/alipay/connector.js';
import type { SandboxesDescription } from '../../src/channels/sandboxes.js';
import { UnionPayConnector } from '../../src/channels/unionpay/connector.js';
import { WechatConnector } from '../../src/channels/wechat/connector.js';
import { cliPath } from '../helpers/paths.js';
import { AL_ACCOUNT, alCode, orderNo, WX_ACCOUNT, wxCode } from './helpers.js';

t.test('boxfep sandbox starts all three and prints one JSON line', async (t) => {
  const child = spawn(process.execPath, [cliPath, 'sandbox', '--pay-delay-ms', '10'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const lines = createInterface({ input: child.stdout });
  const [line] = (await once(lines, 'line')) as [string];
  const d = JSON.parse(line) as SandboxesDescription;
  t.match(d.wechat.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.match(d.alipay.alipayPublicKeyPem, /BEGIN PUBLIC KEY/);

  const wx = new WechatConnector({
    baseUrl: d.wechat.url,
    credentials: () => ({ apiKey: d.wechat.apiKey }),
    notifyUrl: '',
  });
  const al = new AlipayConnector({
    gatewayUrl: d.alipay.gatewayUrl,
    credentials: () => ({
      appPrivateKeyPem: d.alipay.appPrivateKeyPem,
      alipayPublicKeyPem: d.alipay.alipayPublicKeyPem,
    }),
    notifyUrl: '',
  });
  const up = new UnionPayConnector({ host: d.unionpay.host, port: d.unionpay.port, links: 1 });
  t.teardown(async () => {
    await Promise.all([wx.destroy(), al.destroy(), up.destroy()]);
  });
  const wxNo = orderNo();
  t.equal(
    (await wx.pay({ account: WX_ACCOUNT, outTradeNo: wxNo, amountFen: 1, authCode: wxCode('00'), subject: 's' }))
      .outcome,
    'success',
  );
  t.equal(
    (await al.pay({ account: AL_ACCOUNT, outTradeNo: orderNo(), amountFen: 1, authCode: alCode('00'), subject: 's' }))
      .outcome,
    'success',
  );
  await up.waitReady(1);
  const upAccount = { appId: 'UPT00001', merchantId: '898310000000001' };
  t.equal(
    (
      await up.pay({
        account: upAccount,
        outTradeNo: orderNo(),
        amountFen: 1,
        authCode: '6212345678901234500',
        subject: 's',
      })
    ).outcome,
    'success',
  );

  const ledger = (await (await fetch(`${d.wechat.url}/__admin/ledger`)).json()) as {
    outTradeNo: string;
    state: string;
  }[];
  t.match(ledger, [{ outTradeNo: wxNo, state: 'paid' }], 'the admin path serves the ledger');

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  t.equal(code, 0);
});

t.test('bad flags are one line and exit 2', async (t) => {
  const err = await promisify(execFile)(process.execPath, [cliPath, 'sandbox', '--error-rate', '2']).catch((e) => e);
  t.equal(err.code, 2);
  t.match(err.stderr, /^boxfep sandbox: --error-rate must be between 0 and 1\n$/);
});
