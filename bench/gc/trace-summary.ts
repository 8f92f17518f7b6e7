// Summarises a V8 GC trace (`--trace-gc` or `--trace-gc-nvp` lines, e.g. the spawned serve's server.log)
// per isolate: scavenge and mark-compact counts and pause percentiles, and for `--trace-gc-nvp` the mean
// of each scavenge phase and of the bytes it copied, so a long scavenge can be pinned on its cause
// (roots, the old-to-new remembered set, parallel copying, weak handles).
// Usage: node dist/bench/gc/trace-summary.js FILE [--all]  (default: the isolate with most lines only)
import { readFileSync } from 'node:fs';
import { parseNvp } from './nvp.js';

interface Gc {
  at: number;
  kind: 's' | 'mc' | 'other';
  pause: number;
  heapAfterMb?: number;
  fields: Record<string, number>;
}

const file = process.argv[2];
if (!file) {
  console.error('usage: trace-summary FILE [--all]');
  process.exit(2);
}
const all = process.argv.includes('--all');
const byIsolate = new Map<string, Gc[]>();
const head = /^\[(\d+):(0x[0-9a-f]+)\]\s+(\d+) ms: (.*)$/;
const classic =
  /^(Scavenge|Mark-Compact|Mark-sweep|Minor Mark-Compact)\S*\s+([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB, (?:pooled: [\d.]+ MB, )?([\d.]+) \/ ([\d.]+) ms/;

for (const line of readFileSync(file, 'utf8').split('\n')) {
  const h = head.exec(line);
  if (!h) continue;
  const rest = h[4];
  let gc: Gc | undefined;
  const nvp = parseNvp(rest);
  if (nvp) {
    const { kind, fields } = nvp;
    gc = { at: Number(h[3]), kind, pause: fields.pause, heapAfterMb: fields.total_size_after / 2 ** 20, fields };
  } else {
    const c = classic.exec(rest);
    if (c) {
      const kind = c[1] === 'Scavenge' ? 's' : c[1] === 'Minor Mark-Compact' ? 'other' : 'mc';
      gc = { at: Number(h[3]), kind, pause: Number(c[6]), heapAfterMb: Number(c[4]), fields: {} };
    }
  }
  if (!gc) continue;
  const key = `${h[1]}:${h[2]}`;
  const list = byIsolate.get(key) ?? [];
  if (list.length === 0) byIsolate.set(key, list);
  list.push(gc);
}

const isolates = [...byIsolate].sort((a, b) => b[1].length - a[1].length);
for (const [key, list] of all ? isolates : isolates.slice(0, 1)) report(key, list);

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / (xs.length || 1);
}

function report(key: string, list: Gc[]): void {
  const span = (list[list.length - 1].at - list[0].at) / 1000;
  console.log(`isolate ${key}: ${list.length} GCs over ${span.toFixed(0)} s`);
  for (const kind of ['s', 'mc'] as const) {
    const gcs = list.filter((g) => g.kind === kind);
    if (gcs.length === 0) continue;
    const p = gcs.map((g) => g.pause);
    const last = gcs[gcs.length - 1].heapAfterMb;
    console.log(
      `  ${kind === 's' ? 'scavenge' : 'mark-compact'}: ${gcs.length}, pause p50 ${pct(p, 50).toFixed(1)} p90 ${pct(p, 90).toFixed(1)} max ${Math.max(...p).toFixed(1)} ms, total ${p.reduce((a, b) => a + b, 0).toFixed(0)} ms; heap after the last ${last?.toFixed(1)} MB`,
    );
  }
  const s = list.filter((g) => g.kind === 's' && g.fields.scavenge !== undefined);
  if (s.length === 0) return;
  const phases = [
    'time_to_safepoint',
    'scavenge',
    'scavenge.roots',
    'scavenge.free_remembered_set',
    'scavenge.parallel',
    'background.scavenge.parallel',
    'scavenge.weak',
    'scavenge.weak_global_handles.identify',
    'scavenge.weak_global_handles.process',
    'scavenge.update_refs',
    'scavenge.sweep_array_buffers',
    'heap.external_weak_global_handles',
    'heap.prologue',
    'heap.epilogue',
  ];
  const p90 = pct(
    s.map((g) => g.pause),
    90,
  );
  const slow = s.filter((g) => g.pause >= p90);
  console.log('  scavenge phases, mean ms (all | slowest 10 %):');
  for (const ph of phases) {
    const a = mean(s.map((g) => g.fields[ph] ?? 0));
    const b = mean(slow.map((g) => g.fields[ph] ?? 0));
    if (a >= 0.005 || b >= 0.005) console.log(`    ${ph.padEnd(40)} ${a.toFixed(2).padStart(7)} | ${b.toFixed(2)}`);
  }
  const kb = (f: string, xs: Gc[]) => (mean(xs.map((g) => g.fields[f] ?? 0)) / 1024).toFixed(0);
  for (const f of ['allocated', 'new_space_survived', 'promoted']) {
    console.log(`    ${`${f} KB`.padEnd(40)} ${kb(f, s).padStart(7)} | ${kb(f, slow)}`);
  }
  const copied = s.reduce((a, g) => a + (g.fields.new_space_survived ?? 0) + (g.fields.promoted ?? 0), 0);
  console.log(`  copied by scavenges (survived + promoted): ${(copied / 2 ** 20 / span).toFixed(2)} MB/s`);
  for (const f of ['nodes_copied_in_new', 'nodes_promoted', 'nodes_died_in_new']) {
    const a = mean(s.map((g) => g.fields[f] ?? 0));
    const b = mean(slow.map((g) => g.fields[f] ?? 0));
    console.log(`    ${f.padEnd(40)} ${a.toFixed(0).padStart(7)} | ${b.toFixed(0)}`);
  }
}
