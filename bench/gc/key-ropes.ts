// What a remembered key costs when it is built from a parsed message's values: a template literal
// makes a rope whose leaves are those values, and a value is a substring of the message's text (the
// WeChat XML reader's values, like the ISO 8583 decoder's, are cut from one string), so the rope keeps
// the whole text; `join` copies the characters into one flat string. The notification server's `seen`
// map (100,000 orders by default) was keyed the first way until the nineteenth round.
//
// Parses N signed WeChat-style payment notifications, remembers one key per order either way (in a
// child process each, with --expose-gc), and prints the heap each remembered order holds after a full
// collection.
//
//   node dist/bench/gc/key-ropes.js [orders=20000] [runs=2]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseWechatNotification } from '../../src/channels/wechat/notify.js';
import { signed } from '../../src/channels/wechat/sign.js';
import { buildXml } from '../../src/channels/wechat/xml.js';

type Way = 'rope' | 'join';

const API_KEY = 'k'.repeat(32);

/** One signed notification body for order `i`, as the WeChat-style sandbox would post it. */
function notification(i: number): Buffer {
  const fields = signed(
    {
      appid: 'wx2421b1c4370ec43b',
      mch_id: '10000100',
      nonce_str: `n${i}`,
      result_code: 'SUCCESS',
      return_code: 'SUCCESS',
      openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      is_subscribe: 'Y',
      trade_type: 'NATIVE',
      bank_type: 'CFT',
      total_fee: '100',
      fee_type: 'CNY',
      transaction_id: `4200000${String(i).padStart(21, '0')}`,
      out_trade_no: `BX${String(i).padStart(26, '0')}`,
      time_end: '20261207224500',
    },
    API_KEY,
  );
  return Buffer.from(buildXml(fields));
}

/** Heap bytes per remembered order (in the child). */
function remember(way: Way, orders: number): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const seen = new Map<string, number>();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < orders; i++) {
    const parsed = parseWechatNotification(notification(i), () => ({ apiKey: API_KEY }));
    if (!parsed.ok) throw new Error(`notification ${i}: ${parsed.error.message}`);
    const e = parsed.event;
    const key =
      way === 'rope'
        ? `${e.wallet}\u0000${e.merchantId}\u0000${e.outTradeNo}`
        : [e.wallet, e.merchantId, e.outTradeNo].join('\u0000');
    seen.set(key, 1);
  }
  gc();
  gc();
  const perOrder = (process.memoryUsage().heapUsed - before) / orders;
  if (seen.size !== orders) throw new Error('keys collided');
  return perOrder;
}

function main(): void {
  const [, , first, ...rest] = process.argv;
  if (first === '--child') {
    console.log(remember(rest[0] as Way, Number(rest[1])).toFixed(0));
    return;
  }
  const orders = Number(first ?? 20_000);
  const runs = Number(rest[0] ?? 2);
  if (!(orders > 0 && orders <= 1_000_000 && runs > 0 && runs <= 10)) {
    console.error('usage: key-ropes.js [orders ≤ 1,000,000] [runs ≤ 10]');
    process.exit(2);
  }
  const self = fileURLToPath(import.meta.url);
  console.log(`${orders} WeChat-style notifications parsed, one key remembered per order; node ${process.version}`);
  for (let run = 0; run < runs; run++) {
    for (const way of ['rope', 'join'] as const) {
      const out = execFileSync(process.execPath, ['--expose-gc', self, '--child', way, String(orders)], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      console.log(
        `${way === 'rope' ? 'template literal (rope)' : 'join (flat)            '}  ${out.trim()} B per order`,
      );
    }
  }
}

main();
