// Why a long-lived Map keeps what was deleted from it, in isolation. `Map#delete` clears the entry in
// the Map's current table, but an insert-ordered table fills with deleted slots and V8 rebuilds it
// every few dozen inserts; once the Map is old the new table is allocated old too, and the table
// left behind still points to the entries it held. It is dead, but it is old: scavenges treat its
// pointers into the young generation as roots until a mark-compact frees it.
//
// The same churn (WINDOW entries in flight, each value holding a ~1 KB payload, each deleted
// WINDOW inserts later) runs three ways, each in a child process with --trace-gc-nvp:
//   kept      the value is deleted from the Map and nothing else;
//   released  the value lets go of its payload as it leaves (what boxfep's UnionPay exchanges, its
//             in-flight requests and its push waiters do since the nineteenth round);
//   renewed   released, in a ChurnMap (src/heap) made anew every 1,024 inserts: young tables.
// Prints, per entry, what the scavenges copied (new_space_survived) and promoted and what the
// mark-compacts freed (the garbage that reached the old generation), with their counts and pauses,
// for each way, in alternating runs. The pauses are a toy's: its old generation is nearly empty, so
// a mark-compact costs ~2 ms here and replaces a scavenge; boxfep's holds 100–300 MB.
//
//   node dist/bench/gc/map-churn.js [entries=1000000] [window=64] [runs=2]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ChurnMap } from '../../src/heap/churn-map.js';
import { parseNvp } from './nvp.js';

type Way = 'kept' | 'released' | 'renewed';

class Entry {
  constructor(public payload: number[] | undefined) {}
}

/** The churn itself (in the child). */
function churn(way: Way, entries: number, window: number): void {
  const table = way === 'renewed' ? new ChurnMap<string, Entry>(1_024) : new Map<string, Entry>();
  const ring: (string | undefined)[] = new Array(window).fill(undefined);
  // A server's Map is made at start and lives through its first scavenges before the load comes:
  // two young-generation collections make this one's table old, as there.
  const gc = (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc;
  gc?.({ type: 'minor' });
  gc?.({ type: 'minor' });
  for (let i = 0; i < entries; i++) {
    const key = `k${i}`;
    table.set(key, new Entry(new Array<number>(120).fill(i)));
    const slot = i % window;
    const leaving = ring[slot];
    if (leaving !== undefined) {
      if (way !== 'kept') (table.get(leaving) as Entry).payload = undefined;
      table.delete(leaving);
    }
    ring[slot] = key;
  }
}

interface GcTotals {
  scavenges: number;
  scavengeMs: number;
  markCompacts: number;
  markCompactMs: number;
  copiedBytes: number;
  promotedBytes: number;
  /** What mark-compacts freed: the garbage that had reached the old generation. */
  freedBytes: number;
}

/** Sums a --trace-gc-nvp log (nvp.ts reads each line). */
function totals(log: string): GcTotals {
  const t: GcTotals = {
    scavenges: 0,
    scavengeMs: 0,
    markCompacts: 0,
    markCompactMs: 0,
    copiedBytes: 0,
    promotedBytes: 0,
    freedBytes: 0,
  };
  for (const line of log.split('\n')) {
    const gc = parseNvp(line);
    if (gc === undefined) continue;
    const field = (name: string) => gc.fields[name] ?? 0;
    if (gc.kind === 's') {
      t.scavenges++;
      t.scavengeMs += field('pause');
      t.copiedBytes += field('new_space_survived');
      t.promotedBytes += field('promoted');
    } else if (gc.kind === 'mc') {
      t.markCompacts++;
      t.markCompactMs += field('pause');
      t.freedBytes += Math.max(0, field('total_size_before') - field('total_size_after'));
    }
  }
  return t;
}

function main(): void {
  const [, , first, ...rest] = process.argv;
  if (first === '--child') {
    churn(rest[0] as Way, Number(rest[1]), Number(rest[2]));
    return;
  }
  const entries = Number(first ?? 1_000_000);
  const window = Number(rest[0] ?? 64);
  const runs = Number(rest[1] ?? 2);
  if (!(entries > 0 && entries <= 10_000_000 && window > 0 && window <= 100_000 && runs > 0 && runs <= 10)) {
    console.error('usage: map-churn.js [entries ≤ 10,000,000] [window ≤ 100,000] [runs ≤ 10]');
    process.exit(2);
  }
  const self = fileURLToPath(import.meta.url);
  console.log(`${entries} entries, ${window} in flight, ~1 KB payload each; node ${process.version}`);
  console.log(
    'way       scavenges  their ms  mark-compacts  their ms  copied B/entry  promoted B/entry  freed by mark-compacts B/entry',
  );
  for (let run = 0; run < runs; run++) {
    for (const way of ['kept', 'released', 'renewed'] as const) {
      const log = execFileSync(
        process.execPath,
        ['--trace-gc-nvp', '--expose-gc', self, '--child', way, String(entries), String(window)],
        { encoding: 'utf8', maxBuffer: 256 * 2 ** 20, timeout: 120_000 },
      );
      const t = totals(log);
      const perEntry = (bytes: number, width: number) => (bytes / entries).toFixed(1).padStart(width);
      console.log(
        `${way.padEnd(9)} ${String(t.scavenges).padStart(9)} ${t.scavengeMs.toFixed(0).padStart(9)} ` +
          `${String(t.markCompacts).padStart(14)} ${t.markCompactMs.toFixed(0).padStart(9)} ` +
          `${perEntry(t.copiedBytes, 15)} ${perEntry(t.promotedBytes, 17)} ${perEntry(t.freedBytes, 31)}`,
      );
    }
  }
}

main();
