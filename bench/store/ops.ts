// Hot-path store operations, closed loop at a given concurrency: ops/s and latency percentiles
// (hdr-histogram-js, microseconds). The baseline in the same run is one plain SET round trip.
import * as hdr from 'hdr-histogram-js';

export interface OpResult {
  name: string;
  concurrency: number;
  ops: number;
  opsPerSec: number;
  p50us: number;
  p99us: number;
}

export async function closedLoop(
  name: string,
  op: (i: number) => Promise<unknown>,
  concurrency: number,
  ms: number,
): Promise<OpResult> {
  const h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let next = 0;
  for (let i = 0; i < 200; i++) await op(next++); // warm up (scripts loaded, RRN block reserved)
  const start = performance.now();
  const deadline = start + ms;
  let done = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      await op(next++);
      h.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const secs = (performance.now() - start) / 1000;
  const r = {
    name,
    concurrency,
    ops: done,
    opsPerSec: done / secs,
    p50us: h.getValueAtPercentile(50),
    p99us: h.getValueAtPercentile(99),
  };
  h.destroy();
  return r;
}

export function row(r: OpResult, baseline?: OpResult): string {
  const ratio = baseline ? `  ${(baseline.opsPerSec / r.opsPerSec).toFixed(2)}× baseline time` : '';
  return `${r.name.padEnd(44)} c=${String(r.concurrency).padEnd(3)} ${Math.round(r.opsPerSec).toString().padStart(8)} ops/s  p50 ${String(r.p50us).padStart(6)} µs  p99 ${String(r.p99us).padStart(6)} µs${ratio}`;
}
