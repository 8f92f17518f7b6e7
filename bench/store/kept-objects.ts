// What one sale leaves in the memory store, by kind of object: N sales (the store steps of
// store-sale.ts) between two heap snapshots, the second minus the first per (type, name), per sale.
// Every object listed is copied by the scavenges it lives through and visited by each mark-compact.
// Usage: npm run build && node --expose-gc dist/bench/store/kept-objects.js [sales, default 50,000]
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { MemoryStore } from '../../src/store/memory.js';
import { storeSale } from './store-sale.js';

const SALES = Number(process.argv[2] ?? 50_000);

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

/** Objects and bytes per (type, name); strings and numbers by type only. */
function tally(): Map<string, [number, number]> {
  const file = writeHeapSnapshot(join(tmpdir(), `kept-objects-${process.pid}.heapsnapshot`));
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  rmSync(file);
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [ti, ni, si] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f));
  const out = new Map<string, [number, number]>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + ti]];
    const named = !type.includes('string') && type !== 'number';
    const key = named ? `${type}: ${snap.strings[snap.nodes[i + ni]].slice(0, 60)}` : type;
    const o = out.get(key) ?? [0, 0];
    o[0]++;
    o[1] += snap.nodes[i + si];
    out.set(key, o);
  }
  return out;
}

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const store = new MemoryStore();
for (let i = 0; i < 1_000; i++) await storeSale(store, i); // warm up, first shards and slab
gc();
const before = tally();
for (let i = 1_000; i < 1_000 + SALES; i++) await storeSale(store, i);
gc();
const after = tally();
let bytes = 0;
let objects = 0;
const rows: [string, number, number][] = [];
for (const [k, [c, s]] of after) {
  const [c0, s0] = before.get(k) ?? [0, 0];
  bytes += s - s0;
  objects += c - c0;
  if (Math.abs(s - s0) >= SALES * 4) rows.push([k, (c - c0) / SALES, (s - s0) / SALES]);
}
rows.sort((a, b) => b[2] - a[2]);
console.log(`kept per sale: ${(bytes / SALES).toFixed(0)} B in ${(objects / SALES).toFixed(1)} objects`);
for (const [k, c, s] of rows) console.log(`${s.toFixed(0).padStart(6)} B ${c.toFixed(2).padStart(6)} objects  ${k}`);
await store.close();
