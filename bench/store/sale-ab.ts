// A sale's store steps on this build's memory store against another build's, side by side in one
// process: each build fills its own store, in alternating rounds of ROUND sales, so round k of both
// builds meets maps of the same size, the same heap and the same moment of the machine's drift.
// Prints CPU µs per sale per round, and the ratio per pair of rounds.
// Usage: npm run build && node --expose-gc dist/bench/store/sale-ab.js BASE_DIST [rounds 8] [sales per round 50,000]
//   BASE_DIST: another checkout's `dist` (e.g. a worktree of main built with `npx tsc -p .`).
import { join, resolve } from 'node:path';
import { MemoryStore } from '../../src/store/memory.js';
import { storeSale } from './store-sale.js';

const base = process.argv[2];
if (!base) {
  console.error('usage: node --expose-gc dist/bench/store/sale-ab.js BASE_DIST [rounds] [sales per round]');
  process.exit(2);
}
const ROUNDS = Number(process.argv[3] ?? 8);
const ROUND = Number(process.argv[4] ?? 50_000);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

const { MemoryStore: BaseStore } = (await import(join(resolve(base), 'src/store/memory.js'))) as {
  MemoryStore: typeof MemoryStore;
};
const stores = { base: new BaseStore(), new: new MemoryStore() };
const next = { base: 0, new: 0 };

/** CPU µs per sale over one round on `which`'s store. */
async function round(which: 'base' | 'new'): Promise<number> {
  const s = stores[which];
  gc();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < ROUND; i++) await storeSale(s, next[which]++);
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / ROUND;
}

// Warm up both (compiled code, the day's RRN counter), unmeasured.
await round('base');
await round('new');
const ratios: number[] = [];
console.log(`round  orders/store   base µs   new µs   new/base`);
for (let r = 0; r < ROUNDS; r++) {
  // Alternate which goes first, so neither always runs right after a GC of the other's garbage.
  const [a, b] = r % 2 === 0 ? (['base', 'new'] as const) : (['new', 'base'] as const);
  const t = { base: 0, new: 0 };
  t[a] = await round(a);
  t[b] = await round(b);
  ratios.push(t.new / t.base);
  console.log(
    `${String(r + 1).padStart(5)}  ${String(next.new).padStart(12)}  ${t.base.toFixed(2).padStart(8)}  ${t.new.toFixed(2).padStart(7)}  ${(t.new / t.base).toFixed(3).padStart(9)}`,
  );
}
ratios.sort((x, y) => x - y);
console.log(
  `median new/base ${ratios[Math.floor(ratios.length / 2)].toFixed(3)} over ${ROUNDS} pairs of ${ROUND} sales`,
);
await stores.base.close();
await stores.new.close();
