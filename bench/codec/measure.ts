// Throughput (ops/s over a fixed time window) and per-call latency percentiles (hdr histogram).
import * as hdr from 'hdr-histogram-js';

export interface Result {
  name: string;
  opsPerSec: number;
  p50us: number;
  p99us: number;
  p999us: number;
}

let sink: unknown;

/** ops/s of `fn` over a window of `seconds`, run in batches of 500 calls. */
function window(fn: () => unknown, seconds: number): number {
  let ops = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < limit) {
    for (let i = 0; i < 500; i++) sink = fn();
    ops += 500;
    elapsed = process.hrtime.bigint() - start;
  }
  return ops / (Number(elapsed) / 1e9);
}

export interface Case {
  name: string;
  fn: () => unknown;
}

/**
 * Throughput of every case as the best of `rounds` windows, the cases interleaved round by round so
 * that a noisy neighbour on a shared machine hits all of them alike; then latency percentiles.
 */
export function measureAll(cases: Case[], rounds: number, seconds: number, samples: number): Result[] {
  for (const c of cases) for (let i = 0; i < 20_000; i++) sink = c.fn();
  const best = cases.map(() => 0);
  for (let r = 0; r < rounds; r++) {
    cases.forEach((c, i) => {
      best[i] = Math.max(best[i], window(c.fn, seconds));
    });
  }
  return cases.map((c, i) => latency(c.name, c.fn, best[i], samples));
}

function latency(name: string, fn: () => unknown, opsPerSec: number, samples: number): Result {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 1e9, numberOfSignificantValueDigits: 3 });
  for (let i = 0; i < samples; i++) {
    const t0 = process.hrtime.bigint();
    sink = fn();
    h.recordValue(Number(process.hrtime.bigint() - t0));
  }
  const us = (p: number) => h.getValueAtPercentile(p) / 1000;
  return { name, opsPerSec, p50us: us(50), p99us: us(99), p999us: us(99.9) };
}

export function keepAlive(): unknown {
  return sink;
}
