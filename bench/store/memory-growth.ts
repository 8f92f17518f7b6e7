// Memory store as it fills up: whole sales' store steps (beginPayment, then the transition that stores
// the response) on one store, in one process: CPU per sale, what each order keeps (heap and RSS), and
// the slowest single sale (a table doubling or a GC pause stops everything else for that long).
// Usage: npm run build && node --expose-gc dist/bench/store/memory-growth.js [sales, default 1,100,000]
import { MemoryStore } from '../../src/store/memory.js';
import { storeSale } from './store-sale.js';

const SALES = Number(process.argv[2] ?? 1_100_000);
const SLOW_MS = 20;

const exposedGc = (globalThis as { gc?: () => void }).gc;
const gc = exposedGc ?? (() => undefined);
const store = new MemoryStore();
for (let i = 0; i < 20_000; i++) await storeSale(store, i); // warm up
gc();
const before = process.memoryUsage();
const cpu0 = process.cpuUsage();
const slow: [number, number][] = [];
for (let i = 20_000; i < 20_000 + SALES; i++) {
  const t0 = performance.now();
  await storeSale(store, i);
  const ms = performance.now() - t0;
  if (ms > SLOW_MS) slow.push([i, Math.round(ms)]);
}
const cpu = process.cpuUsage(cpu0);
gc();
const after = process.memoryUsage();
const per = (k: 'heapUsed' | 'rss') => Math.round((after[k] - before[k]) / SALES);
slow.sort((a, b) => b[1] - a[1]);
console.log(`${SALES} sales on one memory store: ${((cpu.user + cpu.system) / SALES).toFixed(2)} µs CPU per sale`);
console.log(
  `kept per order: heap ${per('heapUsed')} B, RSS ${per('rss')} B${exposedGc ? '' : ' (rough: run with --expose-gc)'}`,
);
console.log(
  `sales slower than ${SLOW_MS} ms: ${slow.length}; slowest (orders in the store, ms): ${JSON.stringify(slow.slice(0, 5))}`,
);
await store.close();
