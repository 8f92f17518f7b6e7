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

/** Runs `fn` in batches for about `seconds` after a warm-up; then times `samples` single calls. */
export function measure(name: string, fn: () => unknown, seconds = 1.5, samples = 100_000): Result {
  for (let i = 0; i < 20_000; i++) sink = fn();
  const batch = 1000;
  let ops = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(Math.round(seconds * 1e9));
  let elapsed = 0n;
  while (elapsed < limit) {
    for (let i = 0; i < batch; i++) sink = fn();
    ops += batch;
    elapsed = process.hrtime.bigint() - start;
  }
  const opsPerSec = ops / (Number(elapsed) / 1e9);
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
