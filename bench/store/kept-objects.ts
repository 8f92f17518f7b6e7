// What one sale leaves in the memory store, by kind of object: N sales (the store steps of
// memory-growth.ts) between two heap snapshots, the second minus the first per (type, name), per sale.
// Every object listed is copied by the scavenges it lives through and visited by each mark-compact.
// Usage: npm run build && node --expose-gc dist/bench/store/kept-objects.js [sales, default 50,000]
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { pack } from 'msgpackr';
import { MemoryStore } from '../../src/store/memory.js';
import type { RequestKey } from '../../src/store/types.js';

const SALES = Number(process.argv[2] ?? 50_000);
const MID = 'M00000000000001';

const request = (i: number): RequestKey => ({
  tid: `T${String(Math.floor(i / 999_999)).padStart(7, '0')}`,
  mid: MID,
  batch: '000001',
  stan: String((i % 999_999) + 1).padStart(6, '0'),
  mti: '0200',
});

async function sale(s: MemoryStore, i: number): Promise<void> {
  const begun = await s.beginPayment({
    request: request(i),
    fingerprint: 'abcdefghijklmnopqrstuvwx',
    kind: 'sale',
    amountFen: 100,
    wallet: 'UP',
    paymentCodeMasked: '62************1234',
  });
  if (begun.status !== 'started') throw new Error(`sale ${i}: ${begun.status}`);
  const bytes = pack({ rc: '00', fields: { 37: begun.order.rrn, 38: '000001', 63: 'CUP' }, omit: [] });
  await s.transition(begun.order, {
    from: ['paying'],
    to: 'paid',
    response: { request: request(i), bytes },
    statusOnly: true,
  });
}

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
for (let i = 0; i < 1_000; i++) await sale(store, i); // warm up, first shards and slab
gc();
const before = tally();
for (let i = 1_000; i < 1_000 + SALES; i++) await sale(store, i);
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
