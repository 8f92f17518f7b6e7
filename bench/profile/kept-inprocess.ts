// What a finished sale leaves behind for good, end to end: boxes, boxfep (memory store) and its
// sandbox in one process (test/flows/rig.ts), 20 boxes selling in a closed loop. The heap after a full
// GC, before and after N sales, divided by N. It counts the sandbox's ledger too: the same code in
// both builds of an A/B, so differences are boxfep's. Unlike bench/store/kept-objects.ts, which feeds
// the store made-up strings, the sales here carry what a box and a wallet send, so it sees what the
// store keeps alive through them (a decoded reply's text behind a substring, say).
//
//   node --expose-gc dist/bench/profile/kept-inprocess.js [UP|WX|AL] [sales] [snapshotFile]
import { writeHeapSnapshot } from 'node:v8';
import { approvedSale, CODES, heapAfterFullGc, startSalesRig, type Wallet } from './rig-sales.js';

const WARMUP_SALES = 2_000;

async function main(): Promise<void> {
  const wallet = (process.argv[2] ?? 'UP') as Wallet;
  const n = Number(process.argv[3] ?? 20_000);
  const snapshot = process.argv[4];
  if (!(wallet in CODES) || !(Number.isInteger(n) && n > 0 && n <= 1_000_000)) {
    console.error('usage: kept-inprocess.js [UP|WX|AL] [sales ≤ 1,000,000] [snapshotFile]');
    process.exit(2);
  }
  const { rig, boxes } = await startSalesRig();
  try {
    let sales = 0;
    const run = async (count: number) => {
      const goal = sales + count;
      await Promise.all(
        boxes.map(async (box) => {
          while (sales < goal) {
            sales++;
            await approvedSale(box, wallet, sales);
          }
        }),
      );
    };
    await run(WARMUP_SALES);
    const before = heapAfterFullGc();
    const from = sales;
    await run(n);
    const after = heapAfterFullGc();
    const done = sales - from;
    console.log(
      `${wallet}: ${((after - before) / done).toFixed(0)} B kept per sale ` +
        `(${((after - before) / 1e6).toFixed(1)} MB over ${done} sales; boxes + boxfep + sandbox)`,
    );
    if (snapshot) writeHeapSnapshot(snapshot);
  } finally {
    await rig.stop();
  }
}

await main();
