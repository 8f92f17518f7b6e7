// Latency against the server's wait for a core, second by second, over one or more bench reports:
// the measured seconds grouped by how much of each second boxfep's event loop was ready to run but
// had no core (timeline[].serverRunQueuePercent), with the p99 of those seconds. On a machine shared
// with the load, it separates the tail the machine causes from the tail boxfep has on a core of its own.
// Usage: node dist/bench/load/wait-seconds.js REPORT.json [REPORT.json ...]
import { readFileSync } from 'node:fs';
import type { SecondSummary } from './results.js';
import { quantileOfSorted } from './seconds-p99.js';

/** Upper bounds (exclusive) of the wait bands, % of the second. */
const BANDS = [5, 10, 20, 101];

export interface WaitBand {
  /** The band: fromPercent ≤ wait < toPercent. */
  fromPercent: number;
  toPercent: number;
  seconds: number;
  /** Of the per-second p99s in the band, ms. */
  p99Median: number;
  p99P90: number;
  p99Max: number;
}

/** Measured seconds (t ≥ warmupS) with a run-queue figure, grouped into the wait bands. */
export function waitBands(runs: readonly { warmupS: number; timeline: readonly SecondSummary[] }[]): WaitBand[] {
  const groups: number[][] = BANDS.map(() => []);
  for (const r of runs) {
    for (const s of r.timeline) {
      if (s.t < r.warmupS || s.serverRunQueuePercent === undefined) continue;
      const band = BANDS.findIndex((upper) => s.serverRunQueuePercent! < upper);
      groups[band === -1 ? BANDS.length - 1 : band].push(s.p99);
    }
  }
  const out: WaitBand[] = [];
  groups.forEach((p99s, i) => {
    if (p99s.length === 0) return;
    p99s.sort((a, b) => a - b);
    const at = (q: number) => quantileOfSorted(p99s, q);
    out.push({
      fromPercent: i === 0 ? 0 : BANDS[i - 1],
      toPercent: Math.min(100, BANDS[i]),
      seconds: p99s.length,
      p99Median: at(0.5),
      p99P90: at(0.9),
      p99Max: p99s[p99s.length - 1],
    });
  });
  return out;
}

function main(files: string[]): void {
  if (files.length === 0) {
    console.error('usage: wait-seconds REPORT.json [REPORT.json ...]');
    process.exit(2);
  }
  const bands = waitBands(files.map((f) => JSON.parse(readFileSync(f, 'utf8'))));
  if (bands.length === 0) console.log('no measured second has a run-queue figure (no --spawn, or no schedstat)');
  for (const b of bands) {
    console.log(
      `boxfep waiting for a core ${b.fromPercent}–${b.toPercent} % of the second: ${b.seconds} s, ` +
        `p99 of those seconds median ${b.p99Median.toFixed(1)} ms, p90 ${b.p99P90.toFixed(1)} ms, max ${b.p99Max.toFixed(1)} ms`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
