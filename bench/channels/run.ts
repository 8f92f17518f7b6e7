// Channel benchmark. Starts `boxfep sandbox` as a child process (so the simulated wallets do not
// share this event loop), then per connector measures `pay` throughput and p50/p99 at a few
// concurrency levels; baselines in the same run: the same signed WeChat request over a new TCP
// connection per call (no keep-alive), and RSA2 signing inline vs in the crypto worker pool.
// Run: npm run build && node dist/bench/channels/run.js   (BENCH_SECONDS=1.5 per case)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { AlipayConnector } from '../../src/channels/alipay/connector.js';
import { inlineRsaSigner } from '../../src/channels/alipay/sign.js';
import type { Channel } from '../../src/channels/channel.js';
import type { SandboxesDescription } from '../../src/channels/sandboxes.js';
import { UnionPayConnector } from '../../src/channels/unionpay/connector.js';
import { WechatConnector } from '../../src/channels/wechat/connector.js';
import { signed } from '../../src/channels/wechat/sign.js';
import { buildXml } from '../../src/channels/wechat/xml.js';
import { createCryptoService, DEFAULT_CRYPTO_OPTIONS } from '../../src/crypto/service.js';
import type { WalletAccount } from '../../src/terminals/types.js';
import { closedLoop, type Result, row } from './measure.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
const LEVELS = [1, 16, 64];
const cliPath = new URL('../../src/cli/main.js', import.meta.url).pathname;
const run = randomBytes(3).toString('hex');

const WX: WalletAccount = { appId: 'wxbench', merchantId: '10000100' };
const AL: WalletAccount = { appId: '2021000000000001', merchantId: '2088000000000001' };
const UP: WalletAccount = { appId: 'UPT00001', merchantId: '898310000000001' };

async function payLevels(name: string, c: Channel, account: WalletAccount, code: string): Promise<Result[]> {
  const out: Result[] = [];
  for (const n of LEVELS) {
    const r = await closedLoop(
      `${name} pay c=${n}`,
      (i) =>
        c.pay({ account, outTradeNo: `B${run}${name}${n}-${i}`, amountFen: 100, authCode: code, subject: 'bench' }),
      n,
      SECONDS,
    );
    console.log(row(r));
    out.push(r);
  }
  return out;
}

/** The baseline: the same signed micropay, but a fresh TCP connection per call (agent: false). */
function wechatNoKeepAlive(d: SandboxesDescription, i: number): Promise<void> {
  const body = buildXml(
    signed(
      {
        appid: WX.appId,
        mch_id: WX.merchantId,
        nonce_str: randomBytes(16).toString('hex'),
        body: 'bench',
        out_trade_no: `N${run}-${i}`,
        total_fee: '100',
        spbill_create_ip: '127.0.0.1',
        auth_code: '134567890123456700',
      },
      d.wechat.apiKey,
    ),
  );
  return new Promise((resolve, reject) => {
    const req = request(`${d.wechat.url}/pay/micropay`, { method: 'POST', agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const child = spawn(process.execPath, [cliPath, 'sandbox'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const d = JSON.parse(line) as SandboxesDescription;
  const alipayCreds = () => ({
    appPrivateKeyPem: d.alipay.appPrivateKeyPem,
    alipayPublicKeyPem: d.alipay.alipayPublicKeyPem,
  });
  console.log(`channels bench: ${SECONDS}s per case, sandboxes in a child process, node ${process.version}\n`);

  const wx = new WechatConnector({
    baseUrl: d.wechat.url,
    credentials: () => ({ apiKey: d.wechat.apiKey }),
    notifyUrl: '',
    pool: { connections: 16 },
  });
  const wxRows = await payLevels('wechat', wx, WX, '134567890123456700');
  const noKa = await closedLoop(
    'wechat pay c=16, new connection per call',
    (i) => wechatNoKeepAlive(d, i),
    16,
    SECONDS,
  );
  console.log(row(noKa));
  console.log(row(wxRows[1]!, noKa));
  await wx.destroy();

  const crypto = createCryptoService({ ...DEFAULT_CRYPTO_OPTIONS, lmk: randomBytes(32), threads: 2 });
  const al = new AlipayConnector({ gatewayUrl: d.alipay.gatewayUrl, credentials: alipayCreds, notifyUrl: '' });
  const alInline = await payLevels('alipay(inline sign)', al, AL, '281234567890123400');
  await al.destroy();
  const alPool = new AlipayConnector({
    gatewayUrl: d.alipay.gatewayUrl,
    credentials: alipayCreds,
    notifyUrl: '',
    signer: (pem, data) => crypto.rsaSign(pem, data),
  });
  const alPooled = await payLevels('alipay(pool sign)', alPool, AL, '281234567890123400');
  console.log(row(alPooled[2]!, alInline[2]));
  await alPool.destroy();

  const up = new UnionPayConnector({ host: d.unionpay.host, port: d.unionpay.port, links: 2 });
  await up.waitReady(2);
  await payLevels('unionpay(2 links)', up, UP, '6212345678901234500');
  await up.destroy();

  console.log('\nRSA2 (SHA256withRSA, 2048-bit) signing of a 300-byte request:');
  const data = randomBytes(300);
  const pem = d.alipay.appPrivateKeyPem;
  for (const n of [1, 32]) {
    const inline = await closedLoop(`rsa2 inline c=${n}`, () => inlineRsaSigner(pem, data), n, SECONDS);
    const pooled = await closedLoop(`rsa2 pool(2 threads) c=${n}`, () => crypto.rsaSign(pem, data), n, SECONDS);
    console.log(row(inline));
    console.log(row(pooled, inline));
  }
  await crypto.close();
  child.kill('SIGTERM');
  await once(child, 'exit');
}

await main();
