// Whole `boxfep bench` sessions at toy size: a run against an in-process boxfep with the echo baseline
// produces the JSON (with the keys the issue names), the HTML with inline SVG charts and no network
// references, and .hgrm files; a spawned boxfep is sampled for CPU and RSS; a sweep stops at the SLO.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { makeFleet } from '../../bench/load/fleet.js';
import { type BenchOptions, parseBenchArgs } from '../../bench/load/options.js';
import { pathsFor, writeReports } from '../../bench/load/report/files.js';
import { htmlReport } from '../../bench/load/report/html.js';
import { textReport } from '../../bench/load/report/text.js';
import { type BenchIO, runBench } from '../../bench/load/session.js';
import { startInProcessBoxfep } from './helpers.js';

const quiet: BenchIO = { line: () => undefined, progress: () => undefined };

function options(argv: string[]): BenchOptions {
  const o = parseBenchArgs(['--boxes', '20', '--generators', '0', '--quiet', '--ramp', '2000', ...argv]);
  if (!o) throw new Error('no options');
  return o;
}

t.test('a run with the echo baseline writes JSON, HTML and .hgrm reports', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'bench-report-'));
  const app = await startInProcessBoxfep(makeFleet(20, 'RA'));
  t.teardown(async () => {
    await app.stop();
    rmSync(out, { recursive: true, force: true });
  });
  const o = options([
    '--target',
    `127.0.0.1:${app.port}`,
    '--run-tag',
    'RA',
    '--rate',
    '80',
    '--arrivals',
    'constant',
    '--duration',
    '1.5',
    '--warmup',
    '0.5',
    '--baseline',
    'echo',
    '--push-grace-ms',
    '5000',
    '--slo-p99',
    '1000',
    '--slo-p999',
    '1000',
    '--out',
    out,
  ]);
  const result = await runBench(o, quiet, ['--demo']);
  const written = writeReports(result, pathsFor(o.outDir, o));
  const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
  t.equal(rep.targetRate, 80);
  for (const key of ['targetRate', 'achievedRate', 'errors', 'latencyMs', 'byType']) t.ok(key in rep, key);
  for (const key of ['p50', 'p90', 'p99', 'p999', 'max']) t.type(rep.latencyMs[key], 'number', `latencyMs.${key}`);
  t.equal(rep.errors, 0, 'no errors against boxfep');
  t.equal(rep.requests, 120, '80/s for 1.5 s, constant arrivals');
  t.equal(rep.completed, rep.requests, 'every request answered');
  t.ok(rep.achievedRate > 0, `achieved ${rep.achievedRate}/s`);
  t.ok(rep.byType.sale.count > 0 && rep.byType.sale.rc['00'] === rep.byType.sale.count);
  t.type(rep.baseline.latencyMs.p99, 'number', 'baseline.latencyMs');
  t.equal(rep.baseline.requests, rep.requests, 'the baseline got the same number of requests');
  t.type(rep.ratios.p99, 'number', 'ratio of p99s');
  t.equal(rep.serviceMs.count, rep.completed, 'a service time per measured reply');
  t.ok(rep.serviceMs.p99 <= rep.latencyMs.p99, 'service time (from the actual send) within latency');
  t.type(rep.ratios.serviceP99, 'number', 'ratio of the service-time p99s');
  t.equal(rep.byType.sale.serviceMs.count, rep.byType.sale.count, 'a service time per measured sale');
  t.match(textReport(rep), /service time \(actual send → reply, the lag left out\): p50 .* p99 by type: sale /);
  t.equal(rep.connection.connected, 20);
  t.equal(rep.slo.pass, rep.slo.failures.length === 0, 'the verdict follows its reasons');
  t.ok(rep.timeline.length >= 2, 'a per-second timeline');
  t.ok(rep.machine.cpus >= 1 && typeof rep.machine.cpuModel === 'string', 'the machine is stated');

  const html = readFileSync(join(out, 'report.html'), 'utf8');
  t.ok((html.match(/<svg /g) ?? []).length >= 3, 'percentile, latency-over-time and throughput charts');
  t.match(html, /Latency by percentile/);
  t.match(html, /echo baseline/);
  t.notMatch(html, /<script|src=|href=|@import|url\(/, 'nothing loaded from anywhere');

  const hgrm = readFileSync(join(out, 'latency-boxfep-all.hgrm'), 'utf8');
  t.match(hgrm, /Value\s+Percentile\s+TotalCount\s+1\/\(1-Percentile\)/, 'HdrHistogram plotter format');
  t.match(hgrm, /#\[Max\s+=/);
  t.ok(existsSync(join(out, 'latency-echo-all.hgrm')));
  t.ok(existsSync(join(out, 'latency-boxfep-sale.hgrm')));
  t.ok(written.length >= 5);
  t.match(textReport(rep), /ratios boxfep \/ echo: p50 ×/);
});

/** A short spawned run: 100/s, half echoes and half sales, 1.5 s measured after 0.5 s. */
const SMALL_SPAWN = ['--spawn', '--rate', '100', '--duration', '1.5', '--warmup', '0.5', '--mix', 'echo=1,sale=1'];

t.test('--spawn on the Redis store reports the store operations and terminal-cache hits per transaction', async (t) => {
  const o = options([...SMALL_SPAWN, '--wallets', 'UP', '--store', 'redis://127.0.0.1:6379']);
  const result = await runBench(o, quiet);
  const { report } = result;
  t.equal(report.errors, 0);
  const store = report.server?.store;
  t.ok(store, 'read from the spawned boxfep’s /metrics at the window’s edges');
  // Half sales (beginPayment, transition), half echoes (nothing): ~1 per transaction with the terminal
  // cache, ~2 without it (a context read more for each).
  t.ok(store && store.opsPerTx > 0.5 && store.opsPerTx < 1.5, `store operations per transaction ${store?.opsPerTx}`);
  t.ok((store?.byOp.beginPayment ?? 0) > 0 && (store?.byOp.transition ?? 0) > 0, 'the sale’s two steps, by name');
  t.ok((store?.terminalCache?.hitRatio ?? 0) > 0.5, `terminal cache hits ${store?.terminalCache?.hitRatio}`);
  t.match(
    textReport(report),
    /store: [\d.]+ operations per transaction \(.*beginPayment.*\); terminal cache [\d.]+% hits/,
  );
});

t.test('--spawn starts boxfep as a process and reports its CPU per transaction and RSS', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'bench-spawn-'));
  t.teardown(() => rmSync(out, { recursive: true, force: true }));
  const o = options([
    ...SMALL_SPAWN,
    '--wallets',
    'WX',
    // A node flag that writes to the sandbox's stdout before its endpoints line.
    '--sandbox-node-arg=--trace-gc',
    '--out',
    out,
  ]);
  const result = await runBench(o, quiet);
  const { report } = result;
  t.equal(report.target.kind, 'spawn');
  t.match(readFileSync(join(out, 'sandbox.log'), 'utf8'), /Scavenge|Mark-Compact/, 'GC traces kept in the sandbox log');
  t.ok(report.cpuBudget && report.cpuBudget.usPerTx.sandbox > 0, 'the sandbox is in the machine budget');
  t.equal(report.target.sandboxes, 'process', 'the wallet sandboxes ran as their own process');
  t.type(report.target.sandboxPid, 'number');
  t.not(report.target.sandboxPid, report.target.pid);
  t.ok((report.byType.sale?.count ?? 0) > 0 && report.errors === 0, 'sales approved through the external sandbox');
  t.match(readFileSync(join(out, 'wallets.json'), 'utf8'), /"account"/, 'bench merchants get the default accounts');
  t.equal(report.connection.connected, 20, 'every box signed on to the spawned boxfep');
  t.equal(report.errors, 0);
  t.ok(report.server!.cpuUsPerTx > 0, `server CPU ${report.server!.cpuUsPerTx} µs per transaction`);
  t.ok(report.server!.rssBytes > 20 * 2 ** 20, `server RSS ${report.server!.rssBytes}`);
  t.type(report.connection.bytesPerConnection, 'number', 'memory per idle connection measured');
  t.match(readFileSync(join(out, 'server.log'), 'utf8'), /boxfep serving/, 'the server log is kept');
  const seconds = report.timeline.filter((s) => s.serverCpuPercent !== undefined);
  t.ok(seconds.length >= 1, 'the server is sampled every second of the timeline');
  t.match(htmlReport(result), /boxfep: CPU and wait for a core/, 'the HTML charts the server second by second');
  if (existsSync('/proc/self/schedstat')) {
    t.type(report.server!.runQueueWaitPercent, 'number', 'the server’s wait for a core is reported');
    t.type(report.cpuBudget?.runQueueWaitPercent?.sandbox, 'number', 'and the sandbox’s');
    t.ok(
      seconds.every((s) => typeof s.serverRunQueuePercent === 'number'),
      'and per second',
    );
  }
});

t.test('--sweep steps the rate until the SLO fails and reports the highest that held', async (t) => {
  const app = await startInProcessBoxfep(makeFleet(20, 'RS'));
  t.teardown(() => app.stop());
  const common = [
    '--target',
    `127.0.0.1:${app.port}`,
    '--run-tag',
    'RS',
    '--mix',
    'echo=1',
    // A short warm-up: the window then starts with replies in flight, as it ends with some.
    '--warmup',
    '0.3',
    '--arrivals',
    'constant',
  ];
  const common2 = [...common, '--duration', '1', '--sweep', '--sweep-from', '50', '--sweep-step', '50'];
  const generous = ['--slo-p99', '1000', '--slo-p999', '2000'];
  const held = await runBench(options([...common2, '--sweep-max', '150', ...generous]), quiet);
  t.same(
    held.report.sweep!.steps.map((s) => s.targetRate),
    [50, 100, 150],
  );
  t.equal(
    held.report.sweep!.maxRateHoldingSlo,
    150,
    held.report.sweep!.steps.map((x) => x.slo.failures.join('; ')).join(' | ') || 'every step held',
  );
  t.equal(held.report.targetRate, 150, 'the top-level run is the highest passing step');

  const strict = await runBench(options([...common2, '--sweep-max', '150', '--slo-p99', '0.001']), quiet);
  t.equal(strict.report.sweep!.steps.length, 1, 'stops at the first step that misses');
  t.equal(strict.report.sweep!.maxRateHoldingSlo, null);
  t.equal(strict.report.slo.pass, false);
});
