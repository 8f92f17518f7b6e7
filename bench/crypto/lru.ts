// The opened-key cache's read path (src/crypto/lru.ts) against the strict LRU it replaced (a delete
// and a set on every hit), in the same run: a fleet's MAC keys read in turn, the cache larger than the
// fleet (the default: 32,768 keys) and smaller than it (half the fleet: every read a miss in both).
// Usage: npm run build && node dist/bench/crypto/lru.js [fleet 10000] [rounds 5]
import { Lru } from '../../src/crypto/lru.js';

const FLEET = Number(process.argv[2] ?? 10_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const READS = 2_000_000;

/** The strict LRU boxfep had before the tenth round: every hit moves the key to the newest end. */
class StrictLru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(readonly capacity: number) {}
  get(key: K): V | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K);
  }
}

interface Cache {
  get(key: string): object | undefined;
  set(key: string, value: object): void;
}

// Key blobs are long strings held by the terminal records: the same string object on every read.
const blobs = Array.from({ length: FLEET }, (_, i) => `tdes:${i.toString(16).padStart(8, '0')}${'9f'.repeat(24)}`);
const opened = { bytes: Buffer.alloc(16) };

/** CPU ns per read, and the share of reads that missed (then opened and put). */
function run(cache: Cache): [number, number] {
  let misses = 0;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < READS; i++) {
    const k = blobs[(i * 7919) % FLEET]; // every key in turn, in a scattered order
    if (cache.get(k) === undefined) {
      misses++;
      cache.set(k, opened);
    }
  }
  const cpu = process.cpuUsage(cpu0);
  return [((cpu.user + cpu.system) * 1000) / READS, misses / READS];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [label, capacity] of [
  ['cache larger than the fleet (32,768)', 32_768],
  ['cache half the fleet', Math.floor(FLEET / 2)],
] as const) {
  const strict: number[] = [];
  const approx: number[] = [];
  let missShare = '';
  for (let r = 0; r < ROUNDS; r++) {
    const [ns, missed] = run(new StrictLru<string, object>(capacity));
    const [ns2, missed2] = run(new Lru<string, object>(capacity));
    strict.push(ns);
    approx.push(ns2);
    missShare = `misses ${(100 * missed).toFixed(1)} % / ${(100 * missed2).toFixed(1)} %`;
  }
  const s = median(strict);
  const a = median(approx);
  console.log(
    `${FLEET} keys, ${label}: strict LRU ${s.toFixed(0)} ns per read, this cache ${a.toFixed(0)} ns (×${(s / a).toFixed(2)}), medians of ${ROUNDS}; ${missShare}`,
  );
}
