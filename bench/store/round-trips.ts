// Redis round trips and Redis CPU per request: whole B2C sales (UnionPay sandbox), order queries, or
// C2B precreates with their 0620 push and its 0630 (UnionPay sandbox: the customer pays 150 ms later,
// boxfep polls the result) through boxfep on the Redis store at 127.0.0.1:6379, boxes and boxfep in
// this process, a closed loop of 20 boxes. Commands the client sent are counted with MONITOR (commands
// run inside a script are reported as from "lua" and left out); Redis CPU comes from INFO cpu, so run
// it on a quiet Redis.
// Usage: npm run build && node dist/bench/store/round-trips.js [sale|query|precreate] [seconds, default 5]
import { Redis } from 'ioredis';
import type { Box } from '../../src/box/box.js';
import { startRig, upCode } from '../../test/flows/rig.js';

const KIND = process.argv[2] === 'query' || process.argv[2] === 'precreate' ? process.argv[2] : 'sale';
const SECONDS = Number(process.argv[3] ?? 5);
const BOXES = 20;

const rig = await startRig('redis', { config: { payDeadlineMs: 10_000, walletTimeoutMs: 5_000 } });
const boxes: { box: Box; original: { batch: string; stan: string } }[] = [];
for (let i = 0; i < BOXES; i++) {
  const box = await rig.box();
  // Each box's first sale is the order its queries look up.
  const r = await box.sale(100, upCode(String(i).padStart(2, '0')));
  boxes.push({ box, original: { batch: box.batch, stan: r.message.fields[11] ?? '' } });
}

let done = 0;
let stop = false;
async function loop(b: (typeof boxes)[number]): Promise<void> {
  while (!stop) {
    const rc =
      KIND === 'sale'
        ? (await b.box.sale(100 + (done % 1000), upCode(String(done % 80).padStart(2, '0')))).rc
        : KIND === 'query'
          ? (await b.box.query(b.original)).rc
          : await precreatePaid(b.box);
    if (rc !== '00') throw new Error(`${KIND}: rc ${rc}`);
    done++;
  }
}
/**
 * A precreate answered 09 (an amount the sandbox's customer pays: not ending in 99 fen), then its
 * push's 39 (the box acknowledges pushes itself); a resend of an earlier order's push that arrives
 * first is passed over.
 */
async function precreatePaid(box: Box): Promise<string | undefined> {
  const r = await box.precreate(2_000, 'UP');
  if (r.rc !== '09') return r.rc;
  for (let i = 0; i < 10; i++) {
    const push = await box.nextPush(5_000);
    if (push.message.fields[37] === r.message.fields[37]) return push.message.fields[39];
  }
  return 'no push';
}

async function run(seconds: number): Promise<number> {
  done = 0;
  stop = false;
  const loops = boxes.map(loop);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  stop = true;
  await Promise.all(loops);
  return done;
}

const admin = new Redis('redis://127.0.0.1:6379');
const redisCpu = async (): Promise<number> => {
  const info = await admin.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
};

await run(2); // warm-up
const cpu0 = await redisCpu();
const own0 = process.cpuUsage();
const n = await run(SECONDS);
const own = process.cpuUsage(own0);
const redisUs = ((await redisCpu()) - cpu0) * 1e6;

// Round trips: a short second run under MONITOR (which slows Redis, hence not during the CPU run).
const monitor = await admin.monitor();
const sent = new Map<string, number>();
monitor.on('monitor', (_time: string, args: string[], source: string) => {
  if (source === 'lua') return;
  const name = args[0]?.toLowerCase() ?? '?';
  sent.set(name, (sent.get(name) ?? 0) + 1);
});
const m = await run(1);
await new Promise((r) => setTimeout(r, 100));
monitor.disconnect();
admin.disconnect();

const total = [...sent.values()].reduce((a, b) => a + b, 0);
const byCommand = [...sent.entries()]
  .sort((a, b) => b[1] - a[1])
  .map(([c, k]) => `${c} ${(k / m).toFixed(2)}`)
  .join(', ');
console.log(`${KIND}: ${n} in ${SECONDS} s (${(n / SECONDS).toFixed(0)}/s)`);
console.log(`  Redis commands sent per ${KIND}: ${(total / m).toFixed(2)} (${byCommand})`);
console.log(`  Redis CPU ${(redisUs / n).toFixed(1)} µs per ${KIND}`);
console.log(`  this process (boxes + boxfep + sandbox) ${((own.user + own.system) / n).toFixed(1)} µs CPU per ${KIND}`);
await rig.stop();
process.exit(0);
