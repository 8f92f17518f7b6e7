// What a transaction's log line costs the event loop on its way to stdout: boxfep's batched
// destination (src/log/logger.ts: sonic-boom's buffer mode, 16 KB batches) against the one it
// replaced (sonic-boom's string mode, 4 KB batches) and against no destination at all (the baseline:
// building the line). Lines of the bench's shape at the rate boxfep logs them at capacity (6,500/s, in
// bursts every 10 ms), written to a file; three interleaved rounds.
//
//   npm run build && npm run bench:log
import { closeSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { batchedDestination } from '../../src/log/logger.js';

const RATE = 6_500;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const BURST_EVERY_MS = 10;
const file = join(tmpdir(), `boxfep-bench-log-${process.pid}.out`);

type Destination = { write(line: string): unknown; flushSync?(): void };

const variants: Record<string, (fd: number) => Destination> = {
  'none (baseline)': () => ({ write: () => true }),
  'sonic-boom string mode, 4 KB (before)': (fd) =>
    pino.destination({ dest: fd, sync: false, minLength: 4096 }) as unknown as Destination,
  'batched: buffer mode, 16 KB (now)': (fd) => batchedDestination(fd),
};

/** A transaction line as boxfep writes it, varied per line as real ones are. */
function line(i: number): string {
  const stan = String(100_000 + (i % 900_000));
  return `{"level":30,"time":"2026-12-06T23:43:53.569Z","svc":"boxfep","code":"62*************3816","type":"sale","mti":"0200","rc":"00","tid":"LDA00571","stan":"${stan}","rrn":"341000${stan}","amount":"000000062122","ms":5.2,"msg":"transaction"}\n`;
}

async function measure(make: (fd: number) => Destination): Promise<{ loopUs: number; cpuUs: number }> {
  const fd = openSync(file, 'w');
  const dest = make(fd);
  const perBurst = (RATE * BURST_EVERY_MS) / 1000;
  const total = RATE * SECONDS;
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  for (let n = 0; n < total; ) {
    for (let i = 0; i < perBurst; i++) dest.write(line(n++));
    await sleep(BURST_EVERY_MS);
  }
  await sleep(300); // the last writes complete (their callbacks are event-loop time too)
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  dest.flushSync?.();
  closeSync(fd);
  return { loopUs: (elu.active * 1000) / total, cpuUs: (cpu.user + cpu.system) / total };
}

console.log(`node ${process.version}: ${RATE} lines/s for ${SECONDS} s per row; µs per line`);
for (let round = 1; round <= 3; round++) {
  const rows: string[] = [];
  for (const [name, make] of Object.entries(variants)) {
    const r = await measure(make);
    rows.push(
      `  ${name.padEnd(40)} event loop ${r.loopUs.toFixed(2).padStart(6)}   process CPU ${r.cpuUs.toFixed(2).padStart(6)}`,
    );
  }
  console.log(`round ${round}\n${rows.join('\n')}`);
}
rmSync(file, { force: true });
