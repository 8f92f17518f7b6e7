// What one transaction waiting on its wallet holds: the heap a scavenge has to copy for each
// transaction in flight. Boxes, boxfep and its sandboxes in one process (test/flows/rig.ts); the
// sandbox answers every call after a fixed latency, so all N sales of a round are in flight at once.
// Per round: heap after a full GC with every sale waiting, minus the heap after a full GC once all
// are answered (the records the store keeps for good are in both), divided by N. It counts the
// box emulator's and the sandbox's share of a waiting call too: the same code in both builds of an
// A/B, so differences are boxfep's.
//
// The guard queues beyond its wallet's slots (UnionPay 256, WeChat-style 64 = the HTTP pool) and
// refuses a call after a second in the queue: with WX, boxes > 64 and a latency under 1 s / ⌈boxes /
// 64⌉ measures queued calls too (e.g. WX 150 5 400).
//
//   node --expose-gc dist/bench/profile/held-inprocess.js [UP|WX|AL] [boxes] [rounds] [latencyMs]
import { startRig } from '../../test/flows/rig.js';
import { CODES, heapAfterFullGc, type Wallet } from './rig-sales.js';

async function main(): Promise<void> {
  const wallet = (process.argv[2] ?? 'UP') as Wallet;
  const n = Number(process.argv[3] ?? 400);
  const rounds = Number(process.argv[4] ?? 5);
  const LATENCY_MS = Number(process.argv[5] ?? 1_500);
  if (
    !(wallet in CODES) ||
    !(n >= 1 && n <= 2_000) ||
    !(rounds >= 1 && rounds <= 20) ||
    !(LATENCY_MS >= 100 && LATENCY_MS <= 5_000)
  ) {
    console.error('usage: held-inprocess.js [UP|WX|AL] [boxes ≤ 2000] [rounds ≤ 20] [latencyMs 100–5000]');
    process.exit(2);
  }
  const latency = { kind: 'fixed', ms: LATENCY_MS } as const;
  const rig = await startRig('memory', {
    config: { payDeadlineMs: 20_000, walletTimeoutMs: 10_000 },
    sandboxes: {
      wechat: { payDelayMs: 150, latency },
      alipay: { payDelayMs: 150, latency },
      unionpay: { payDelayMs: 150, latency },
    },
  });
  try {
    const boxes: Awaited<ReturnType<typeof rig.box>>[] = [];
    for (let i = 0; i < n; i++) boxes.push(await rig.box());
    let seq = 0;
    const round = async (): Promise<number> => {
      const replies = boxes.map((b) => b.sale(100 + (seq % 1000), CODES[wallet](String(seq++ % 80).padStart(2, '0'))));
      await new Promise((r) => setTimeout(r, LATENCY_MS / 2));
      const during = heapAfterFullGc();
      for (const r of await Promise.all(replies)) if (r.rc !== '00') throw new Error(`sale answered ${r.rc}`);
      const after = heapAfterFullGc();
      return (during - after) / n;
    };
    await round(); // warm-up: code compiled, maps and slabs grown
    const held: number[] = [];
    for (let i = 0; i < rounds; i++) held.push(await round());
    const sorted = [...held].sort((a, b) => a - b);
    console.log(
      `${wallet}: ${n} sales in flight, held per waiting sale (B): median ${Math.round(sorted[sorted.length >> 1] as number)}; ` +
        `rounds ${held.map((h) => Math.round(h)).join(' ')}`,
    );
  } finally {
    await rig.stop();
  }
}

await main();
