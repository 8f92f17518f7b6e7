// The memory store's push round for one C2B result while other boxes' pushes wait (offline boxes keep
// theirs for up to a day): putPush, listPushesForTerminal (what the dispatcher's flush reads),
// markPushSent, ackPush. Loads the store from any built checkout, so an old and a new build run side
// by side; the work is synchronous in the store, so CPU time per round is what it costs.
// Usage: npm run build && node dist/bench/store/pushes.js [ROOT ...]   (PUSH_ROUNDS=20000,
// PUSH_WAITING=0,1000,10000)
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROUNDS = Number(process.env.PUSH_ROUNDS ?? 20_000);
const WAITING = (process.env.PUSH_WAITING ?? '0,1000,10000').split(',').map(Number);
const MID = 'M00000000000001';
const PAYLOAD = new Uint8Array(165).fill(0x41);

const tid = (i: number) => `T${String(i).padStart(7, '0')}`;
const rrn = (i: number) => `06${String(i).padStart(10, '0')}`;

async function bench(root: string, waiting: number): Promise<number> {
  const { MemoryStore } = await import(pathToFileURL(resolve(root, 'dist/src/store/memory.js')).href);
  const s = new MemoryStore();
  const now = Date.now();
  // Pushes of boxes that are offline: boxes 1..waiting, one each.
  for (let i = 1; i <= waiting; i++)
    await s.putPush({ mid: MID, tid: tid(i), rrn: rrn(i), payload: PAYLOAD, nextAttemptAt: now + 3600_000 });
  const round = async (i: number) => {
    const box = tid(5_000_000 + (i % 1000));
    const order = rrn(5_000_000 + i);
    await s.putPush({ mid: MID, tid: box, rrn: order, payload: PAYLOAD, nextAttemptAt: now });
    const [p] = await s.listPushesForTerminal(MID, box);
    if (p?.rrn !== order) throw new Error('push not listed');
    await s.markPushSent(MID, box, order, now + 5_000);
    await s.ackPush(MID, box, order);
  };
  for (let i = 0; i < 2_000; i++) await round(i);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < ROUNDS; i++) await round(i + 2_000);
  const cpu = process.cpuUsage(cpu0);
  await s.close();
  return (cpu.user + cpu.system) / ROUNDS;
}

const here = resolve(fileURLToPath(import.meta.url), '../../../..');
const roots = process.argv.length > 2 ? process.argv.slice(2) : [here];
for (const waiting of WAITING) {
  for (const root of roots) {
    const us = await bench(root, waiting);
    console.log(`${root}: ${waiting} pushes waiting, ${us.toFixed(2)} µs CPU per push round`);
  }
}
