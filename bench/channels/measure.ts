// Closed-loop load: keep `concurrency` calls outstanding for `seconds`; throughput, latency
// percentiles (hdr-histogram-js) and main-thread CPU per call (event-loop utilisation).
import { performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';

export interface Result {
  name: string;
  ops: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  mainUsPerOp: number;
}

export async function closedLoop(
  name: string,
  call: (i: number) => Promise<unknown>,
  concurrency: number,
  seconds: number,
): Promise<Result> {
  const hist = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let ops = 0;
  let i = 0;
  const start = performance.now();
  const elu0 = performance.eventLoopUtilization();
  const until = start + seconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      await call(i++);
      hist.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      ops++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - start) / 1000;
  const elu = performance.eventLoopUtilization(elu0);
  const r: Result = {
    name,
    ops,
    perSec: ops / elapsed,
    p50Ms: hist.getValueAtPercentile(50) / 1000,
    p99Ms: hist.getValueAtPercentile(99) / 1000,
    mainUsPerOp: (elu.active * 1000) / ops,
  };
  hist.destroy();
  return r;
}

export function row(r: Result, baseline?: Result): string {
  const ratio = baseline ? `  ×${(r.perSec / baseline.perSec).toFixed(2)} vs ${baseline.name}` : '';
  return `${r.name.padEnd(46)} ${Math.round(r.perSec).toString().padStart(7)}/s  p50 ${r.p50Ms.toFixed(2).padStart(7)} ms  p99 ${r.p99Ms.toFixed(2).padStart(7)} ms  main ${r.mainUsPerOp.toFixed(0).padStart(5)} µs/op${ratio}`;
}
