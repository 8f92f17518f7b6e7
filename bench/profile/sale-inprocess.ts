// A sale's cost with nothing between the parties: boxes, boxfep and the wallet sandbox in one process,
// a closed loop of sales, and a CPU profile or an allocation profile of the measured window. The
// sampling heap profile counts objects already collected, so it shows bytes *allocated* per sale, not
// what survived. Frames under src/box and */sandbox* are the box and the wallet, the rest boxfep.
// `survivors` leaves out what a scavenge collected: the bytes per sale that lived through at least one
// scavenge (copied, then promoted): what makes scavenges long.
//
//   node dist/bench/profile/sale-inprocess.js [UP|WX|AL] [cpu|heap|survivors|none] [seconds] [outDir] [memory|redis]
//
// `redis` runs the store on the redis-server at 127.0.0.1:6379 (a key prefix of its own) instead of
// the memory store.
//
// Prints sales/s and process CPU per sale (all three parties); writes <outDir>/<wallet>.cpuprofile or
// .heapprofile for Chrome DevTools, speedscope, or any .cpuprofile reader.
import { approvedSale, CODES, startSalesRig, type Wallet } from './rig-sales.js';
import { type ProfileMode, WindowProfile } from './window-profile.js';

const WARMUP_MS = 2_000;

async function main(): Promise<void> {
  const wallet = (process.argv[2] ?? 'UP') as Wallet;
  const mode = process.argv[3] ?? 'cpu';
  const seconds = Number(process.argv[4] ?? 5);
  const outDir = process.argv[5] ?? 'bench-results/profile';
  const store = process.argv[6] ?? 'memory';
  if (
    !(wallet in CODES) ||
    !['cpu', 'heap', 'survivors', 'none'].includes(mode) ||
    !(seconds > 0 && seconds <= 120) ||
    (store !== 'memory' && store !== 'redis')
  ) {
    console.error(
      'usage: sale-inprocess.js [UP|WX|AL] [cpu|heap|survivors|none] [seconds ≤ 120] [outDir] [memory|redis]',
    );
    process.exit(2);
  }
  const { rig, boxes } = await startSalesRig(store);
  try {
    let sales = 0;
    let until = 0;
    const loop = async (box: (typeof boxes)[number]) => {
      while (performance.now() < until) {
        await approvedSale(box, wallet, sales);
        sales++;
      }
    };
    until = performance.now() + WARMUP_MS;
    await Promise.all(boxes.map(loop));

    const profile = await WindowProfile.start(mode as ProfileMode);
    sales = 0;
    const cpu0 = process.cpuUsage();
    until = performance.now() + seconds * 1000;
    await Promise.all(boxes.map(loop));
    const cpu = process.cpuUsage(cpu0);
    const written = await profile.stop(outDir, wallet);
    const perSale = (cpu.user + cpu.system) / sales;
    console.log(
      `${wallet}: ${sales} sales in ${seconds} s (${Math.round(sales / seconds)}/s), ` +
        `${perSale.toFixed(1)} µs CPU per sale for boxes + boxfep + sandbox${written ? `; wrote ${written}` : ''}`,
    );
  } finally {
    await rig.stop();
  }
}

await main();
