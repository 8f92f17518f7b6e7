// boxfep's side of one WeChat-style pay call without the network: the guard, the signed XML request,
// and the reply's parse, signature check and reading, with the HTTP transport replaced by a stub that
// answers a signed SUCCESS at once. Main-thread CPU and heap bytes per call, in rounds; given the dist
// directory of another build (e.g. a base worktree's), the two alternate round by round, and the
// request bodies are checked to be the same but for nonce and signature.
//
// --min-semi-space-size keeps scavenges out of the rounds (else the heap deltas are meaningless):
//   node --expose-gc --min-semi-space-size=64 --max-semi-space-size=128 dist/bench/channels/wechat-call.js [otherDist] [rounds]
import { fileURLToPath } from 'node:url';

const KEY = 'a3f1c9e2b4d6f8a0c2e4a6b8d0f2a4c6';
const ACCOUNT = { appId: 'wx2421b1c4370ec43b', merchantId: '10000100' };
const CALLS = 5_000;

interface Subject {
  name: string;
  pay(i: number): Promise<{ outcome: string }>;
  lastBody(): string;
}

async function subject(name: string, distRoot: string): Promise<Subject> {
  const { WechatConnector } = await import(`${distRoot}/src/channels/wechat/connector.js`);
  const { signed } = await import(`${distRoot}/src/channels/wechat/sign.js`);
  const { buildXml } = await import(`${distRoot}/src/channels/wechat/xml.js`);
  const c = new WechatConnector({
    baseUrl: 'http://127.0.0.1:9',
    credentials: () => ({ apiKey: KEY }),
    notifyUrl: 'http://127.0.0.1:9/notify',
  });
  const reply = {
    status: 200,
    body: buildXml(
      signed(
        {
          return_code: 'SUCCESS',
          return_msg: 'OK',
          appid: ACCOUNT.appId,
          mch_id: ACCOUNT.merchantId,
          nonce_str: 'a1b2c3d4e5f6a7b8',
          result_code: 'SUCCESS',
          out_trade_no: 'WX202611251800000001',
          transaction_id: '4200000000202611250000000001',
          total_fee: '1234',
          time_end: '20261125183000',
        },
        KEY,
      ),
    ),
  };
  let last = '';
  // The transport is private: replaced here so that nothing but boxfep's own work is measured.
  (c as unknown as { http: { post: (p: string, body: string) => Promise<unknown> } }).http.post = (_p, body) => {
    last = body;
    return Promise.resolve(reply);
  };
  return {
    name,
    pay: (i) =>
      c.pay({
        account: ACCOUNT,
        outTradeNo: `WX2026112518${String(i).padStart(8, '0')}`,
        amountFen: 1234,
        authCode: '134567890123456700',
        subject: 'QR sale',
        terminalId: 'L0000001',
      }),
    lastBody: () => last,
  };
}

async function calls(s: Subject, n: number, from: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await s.pay(from + i);
    if (r.outcome !== 'success') throw new Error(`${s.name}: ${JSON.stringify(r)}`);
  }
}

const gc = (globalThis as { gc?: () => void }).gc;
const here = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const other = process.argv[2] && !/^\d+$/.test(process.argv[2]) ? process.argv[2] : undefined;
const rounds = Number(process.argv[other ? 3 : 2] ?? 7);
const subjects = [await subject('this build', here)];
if (other) subjects.unshift(await subject(`other (${other})`, other));
const masked = (s: string) => s.replace(/<nonce_str>.*?<\/nonce_str>|<sign>.*?<\/sign>/g, '');
for (const s of subjects) await calls(s, 20_000, 0);
if (other && masked(subjects[0]!.lastBody()) !== masked(subjects[1]!.lastBody())) {
  throw new Error('the two builds send different request bodies');
}
if (!gc) console.log('(run with --expose-gc for byte counts)');
const cpu = new Map<string, number[]>();
const bytes = new Map<string, number[]>();
for (let r = 0; r < rounds; r++) {
  for (const s of subjects) {
    gc?.();
    const h0 = process.memoryUsage().heapUsed;
    const c0 = process.cpuUsage();
    await calls(s, CALLS, r * CALLS);
    const c = process.cpuUsage(c0);
    cpu.set(s.name, [...(cpu.get(s.name) ?? []), ((c.user + c.system) * 1000) / CALLS]);
    bytes.set(s.name, [...(bytes.get(s.name) ?? []), (process.memoryUsage().heapUsed - h0) / CALLS]);
  }
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
for (const s of subjects) {
  const t = cpu.get(s.name)!;
  console.log(
    `${s.name}: CPU ns per call, each round ${t.map((v) => v.toFixed(0)).join(' ')}; median ${median(t).toFixed(0)}` +
      (gc ? `; heap bytes per call (median) ${median(bytes.get(s.name)!).toFixed(0)}` : ''),
  );
}
process.exit(0);
