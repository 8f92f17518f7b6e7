// Store benchmark. 1) msgpackr vs JSON for an order record. 2) Hot-path operations (a sale's
// beginPayment, its finishing transition, an order query's claimRequest) on the memory store and on
// Redis at 127.0.0.1:6379, with a plain SET round trip as the baseline in the same run, and Redis
// with ioredis auto-pipelining on for comparison (the store keeps it off).
// Usage: npm run build && node dist/bench/store/run.js   (BENCH_MS=1500 per case)
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createStore, type Store, type StoreOptions } from '../../src/store/store.js';
import { benchCodecs } from './codec.js';
import { closedLoop, type OpResult, row } from './ops.js';

const MS = Number(process.env.BENCH_MS ?? 1500);
const REDIS = process.env.BENCH_REDIS ?? 'redis://127.0.0.1:6379';
const run = randomBytes(3).toString('hex');
const MID = 'M00000000000001';

function saleOps(s: Store, tidBase: number) {
  const request = (i: number) => ({
    tid: `T${String(tidBase + Math.floor(i / 999_999)).padStart(7, '0')}`,
    mid: MID,
    batch: '000001',
    stan: String((i % 999_999) + 1).padStart(6, '0'),
    mti: '0200',
  });
  const begin = (i: number) =>
    s.beginPayment({
      request: request(i),
      fingerprint: 'fp',
      kind: 'sale',
      amountFen: 100,
      limits: { dailyAmountMaxFen: 1e15 },
    });
  return {
    begin,
    /** A whole sale's store cost: begin, then the transition that stores the response (2 round trips). */
    async sale(i: number) {
      const r = await begin(i);
      if (r.status !== 'started') throw new Error(`bench sale not started: ${r.status}`);
      await s.transition(r.order, { from: ['paying'], to: 'paid', response: { request: request(i), bytes: RESPONSE } });
    },
    claim: (i: number) => s.claimRequest({ ...request(i), mti: '0201' }, 'q'),
  };
}
const RESPONSE = randomBytes(120);

async function storeCases(label: string, s: Store, c: number, tidBase: number): Promise<OpResult[]> {
  const ops = saleOps(s, tidBase);
  const out: OpResult[] = [];
  out.push(await closedLoop(`${label} beginPayment`, ops.begin, c, MS));
  out.push(await closedLoop(`${label} sale (begin + transition)`, (i) => ops.sale(i + 5_000_000), c, MS));
  out.push(await closedLoop(`${label} claimRequest`, ops.claim, c, MS));
  return out;
}

async function main(): Promise<void> {
  console.log('# values: msgpackr vs JSON (order record)');
  for (const r of benchCodecs()) {
    console.log(
      `${r.name.padEnd(28)} encode ${Math.round(r.encodeOps).toString().padStart(9)}/s  decode ${Math.round(r.decodeOps).toString().padStart(9)}/s  ${r.bytes} bytes`,
    );
  }

  const admin = new Redis(REDIS);
  const prefixes: string[] = [];
  const redisStore = (opts: StoreOptions = {}) => {
    const keyPrefix = `bfbench:${run}:${prefixes.length}:`;
    prefixes.push(keyPrefix);
    return createStore(REDIS, { keyPrefix, rrnBlockSize: 1000, ...opts });
  };
  try {
    for (const c of [1, 32]) {
      console.log(`\n# hot path, closed loop, concurrency ${c}`);
      const base = await closedLoop(
        'redis SET (baseline round trip)',
        (i) => admin.set(`bfbench:${run}:base:${i % 1000}`, 'x'),
        c,
        MS,
      );
      console.log(row(base));
      const mem = createStore('memory');
      for (const r of await storeCases('memory', mem, c, c * 10)) console.log(row(r, base));
      await mem.close();
      const rs = redisStore();
      for (const r of await storeCases('redis', rs, c, c * 10 + 1)) console.log(row(r, base));
      await rs.close();
      if (c > 1) {
        const ap = redisStore({ redisOptions: { enableAutoPipelining: true } });
        const r = await closedLoop('redis beginPayment, auto-pipelining ON', saleOps(ap, c * 10 + 2).begin, c, MS);
        console.log(row(r, base));
        await ap.close();
      }
    }
  } finally {
    prefixes.push(`bfbench:${run}:base:`);
    for (const p of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${p}*`, 'COUNT', 1000);
        if (keys.length > 0) await admin.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
    admin.disconnect();
  }
}

await main();
