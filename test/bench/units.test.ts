// The harness's small parts: the echo baseline's reply bytes, the reply checks, test payment codes,
// /proc sampling, fleet generation, sweep steps, the SLO verdict and the flag parser.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { checkReply, exchangeErrorReason } from '../../bench/load/checks.js';
import { echoReply } from '../../bench/load/echo-server.js';
import { makeFleet } from '../../bench/load/fleet.js';
import { encode, newHistogram, recordMs } from '../../bench/load/histograms.js';
import { BenchUsageError, parseBenchArgs } from '../../bench/load/options.js';
import { parseCpuList } from '../../bench/load/placement.js';
import { descendants, sampleMachine, sampleProcess, sampleTree } from '../../bench/load/proc-stat.js';
import { seededRng } from '../../bench/load/random.js';
import { runLines } from '../../bench/load/report/text.js';
import { mergeResults, serverSummary } from '../../bench/load/results.js';
import { quantileOfSorted, secondsP99 } from '../../bench/load/seconds-p99.js';
import { parseCounters, storeSummary } from '../../bench/load/server-metrics.js';
import { ratios, sloVerdict, sweepRates } from '../../bench/load/session.js';
import { walletsFileFor } from '../../bench/load/spawn.js';
import { amountFen, approvingPaymentCode, WALLETS } from '../../bench/load/transactions.js';
import { waitBands } from '../../bench/load/wait-seconds.js';
import type { Reply } from '../../src/box/box.js';
import { walletForPaymentCode } from '../../src/channels/routing.js';
import { scenarioForCode } from '../../src/channels/sandbox/test-codes.js';
import { computeMac } from '../../src/crypto/field64.js';
import { SANDBOX_ACCOUNTS } from '../../src/runtime/wallets.js';
import { parseWalletsFile } from '../../src/runtime/wallets-file.js';

t.test('the echo server answers a frame with itself, TPDU swapped and the reply MTI', async (t) => {
  const payload = Buffer.from('6000030000' + '603100000000' + '0820' + '0020000000C00010' + 'AABB', 'hex');
  const out = echoReply(payload);
  t.equal(out.readUInt16BE(0), payload.length, 'length prefix');
  t.equal(out.subarray(2, 7).toString('hex'), '6000000003', 'TPDU destination and source swapped');
  t.equal(out.subarray(7, 13).toString('hex'), '603100000000', 'header kept');
  t.equal(out.subarray(13, 15).toString('hex'), '0830', '0820 → 0830');
  t.same(out.subarray(15), payload.subarray(13), 'the rest unchanged');
});

function reply(request: Record<number, string>, response: Record<number, string>, macValid?: boolean): Reply {
  return {
    request: { mti: '0200', fields: request },
    message: { mti: '0210', fields: response },
    rc: response[39],
    requirement: 0,
    tpdu: undefined,
    macValid,
    requestFrame: Buffer.alloc(0),
    replyFrame: Buffer.alloc(0),
    ms: 1,
  };
}

t.test('reply checks: code, echoed fields, MAC rules, needed fields', async (t) => {
  const req = { 3: '000000', 4: '000000000100', 11: '000007', 41: 'L0000001', 42: 'BENCH0000000001' };
  const ok = { ...req, 37: '000000000001', 39: '00', 64: 'AABBCCDD00112233' };
  t.equal(checkReply('sale', '00', reply(req, ok, true)), undefined, 'a good approval passes');
  t.match(checkReply('sale', '00', reply(req, { ...ok, 39: '05' }, true)), /rc 05 \(expected 00\)/);
  t.match(checkReply('sale', '00', reply(req, { ...ok, 4: '000000000200' }, true)), /field 4 not echoed/);
  t.match(checkReply('sale', '00', reply(req, ok, false)), /MAC invalid/);
  const noMac: Record<number, string> = { ...ok };
  delete noMac[64];
  t.match(checkReply('sale', '00', reply(req, noMac, undefined)), /MAC missing/);
  const noRrn: Record<number, string> = { ...ok };
  delete noRrn[37];
  t.match(checkReply('sale', '00', reply(req, noRrn, true)), /without RRN/);
  t.match(checkReply('precreate', '09', reply(req, { ...req, 39: '09', 64: 'AA' }, true)), /MAC on a 09 reply/);
  t.match(checkReply('precreate', '09', reply(req, { ...req, 39: '09' })), /without QR content/);
  t.equal(checkReply('precreate', '09', reply(req, { ...req, 39: '09', 59: 'A6005weixi' })), undefined);
  t.equal(exchangeErrorReason(new Error('no reply to 0200 STAN 000001 within 10 ms')), 'timeout');
  t.equal(exchangeErrorReason(new Error('connection closed by boxfep')), 'connection closed');
});

t.test('payment codes route to their wallet and approve at once; amounts are never paid-never', async (t) => {
  const rng = seededRng(9);
  for (const w of WALLETS) {
    const codes = Array.from({ length: 200 }, () => approvingPaymentCode(w, rng));
    t.same(
      codes.filter((c) => walletForPaymentCode(c) !== w || scenarioForCode(c) !== 'approve'),
      [],
      `${w}: every code routes to ${w} and approves`,
    );
  }
  const amounts = Array.from({ length: 2000 }, () => amountFen(rng));
  t.same(
    amounts.filter((a) => a % 100 === 99 || a < 100),
    [],
    'amounts from 1.00 yuan, never ending in 99 fen',
  );
});

t.test('/proc sampling reads CPU time and RSS', async (t) => {
  const a = sampleProcess(process.pid);
  computeMac('cups-ecb', randomBytes(8), randomBytes(4096));
  let x = 0;
  for (let i = 0; i < 3e7; i++) x += i % 7;
  const b = sampleProcess(process.pid);
  t.ok(x > 0);
  t.ok(a.rssBytes > 10 * 2 ** 20 && a.rssBytes < 4 * 2 ** 30, `RSS ${a.rssBytes}`);
  t.ok(b.cpuUs > a.cpuUs, 'CPU time advances with work');
  t.throws(() => sampleProcess(2 ** 22 + 1), 'no such process');

  // Kernel time: the same 1 MB written 400 times over one place of a temporary file (the page cache's
  // copy), in bursts until the system time moves (at most 10): the kernel splits a process's CPU time
  // into user and system by where its clock ticks fell, so one burst may show as user time only.
  const dir = mkdtempSync(join(tmpdir(), 'boxfep-sys-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const fd = openSync(join(dir, 'f'), 'w');
  const mb = Buffer.alloc(2 ** 20, 1);
  const c = sampleProcess(process.pid);
  let d = c;
  for (let burst = 0; burst < 10 && d.sysUs === c.sysUs; burst++) {
    for (let i = 0; i < 400; i++) writeSync(fd, mb, 0, mb.length, 0);
    d = sampleProcess(process.pid);
  }
  closeSync(fd);
  const sys = d.sysUs! - c.sysUs!;
  t.ok(sys > 0 && sys <= d.cpuUs - c.cpuUs, `system time ${sys} µs, within the CPU time`);
  t.ok(b.sysUs! - a.sysUs! < b.cpuUs - a.cpuUs, 'arithmetic in user space is not counted as system time');
});

t.test('/proc sampling tells the main thread’s CPU time from its helper threads’', async (t) => {
  // A worker thread does a fixed amount of work (CPU time, however the cores are shared) while the
  // main thread only waits for it.
  const work = 'let x=0;for(let i=0;i<4e8;i++)x+=i%7;require("node:worker_threads").parentPort.postMessage(x)';
  const worker = new Worker(work, { eval: true });
  t.teardown(() => worker.terminate());
  const a = sampleProcess(process.pid);
  await once(worker, 'message');
  const b = sampleProcess(process.pid);
  await worker.terminate();
  const all = b.cpuUs - a.cpuUs;
  const main = b.mainThreadUs! - a.mainThreadUs!;
  t.ok(all >= 200_000, `the process spent ${all} µs, most of it the worker's`);
  t.ok(main >= 0 && main < all / 2, `the main thread ${main} µs of it`);

  // The same work on the main thread is counted on it.
  const c = sampleProcess(process.pid);
  let x = 0;
  for (let i = 0; i < 4e8; i++) x += i % 7;
  const d = sampleProcess(process.pid);
  t.ok(x > 0);
  const onMain = d.mainThreadUs! - c.mainThreadUs!;
  t.ok(onMain >= 200_000, `a loop on the main thread is its time: ${onMain} µs`);
  // Within the process's, give or take the kernel's rounding of each figure to its ticks.
  t.ok(onMain <= d.cpuUs - c.cpuUs + 20_000, 'and within the process’s');
});

t.test('/proc sampling of a process tree counts its child processes (serve --workers N)', async (t) => {
  // A child that burns CPU for a bounded time.
  const child = spawn(process.execPath, ['-e', 'const e=Date.now()+3000;let x=0;while(Date.now()<e)x++;'], {
    stdio: 'ignore',
  });
  t.teardown(() => child.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 800));
  t.ok(descendants(process.pid).includes(child.pid!), 'the child is found through its ppid');
  const own = sampleProcess(process.pid);
  const tree = sampleTree(process.pid);
  const kid = sampleProcess(child.pid!);
  t.ok(kid.cpuUs > 0, `child CPU ${kid.cpuUs} µs`);
  t.ok(tree.cpuUs >= own.cpuUs + kid.cpuUs - 20_000, 'tree CPU = own + child (one tick of slack)');
  t.ok(
    tree.mainThreadUs! >= own.mainThreadUs! + kid.mainThreadUs! - 20_000,
    'each process’s main thread is summed too (a cluster worker’s event loop)',
  );
  t.ok(tree.rssBytes > own.rssBytes, 'tree RSS includes the child');
});

t.test('/proc/stat sampling reads the whole machine: busy within total, both advancing', async (t) => {
  const a = sampleMachine();
  let x = 0;
  for (let i = 0; i < 3e7; i++) x += i % 7;
  const b = sampleMachine();
  t.ok(x > 0);
  t.ok(a.busyUs > 0 && a.busyUs <= a.totalUs, 'busy is part of total');
  t.ok(b.busyUs > a.busyUs, 'the loop above shows up as machine busy time');
  t.ok(b.totalUs >= a.totalUs && b.stealUs >= a.stealUs);
});

t.test('the CPU budget charges the window to each party per transaction, the rest to other', async (t) => {
  const h = newHistogram();
  recordMs(h, 1);
  const result = {
    sent: 1000,
    completed: 1000,
    completedInWindow: 1000,
    errors: 0,
    warmupRequests: 0,
    warmupErrors: 0,
    errorReasons: {},
    overall: encode(h),
    byType: {},
    timeline: [],
    lag: encode(h),
    service: encode(h),
    push: { expected: 0, received: 0, missing: 0, bad: 0, histogram: encode(h) },
    abandoned: 0,
    windowMs: 1000,
    generatorCpuUs: 50_000,
  };
  const proc = (cpuUs: number, at: number) => ({ cpuUs, rssBytes: 1, at });
  const { summary } = mergeResults({
    label: 'boxfep',
    mode: 'open',
    arrivals: 'constant',
    targetRate: 1000,
    warmupMs: 0,
    durationMs: 1000,
    results: [result],
    server: { pid: 1, start: proc(0, 0), end: proc(200_000, 1000) },
    parties: [{ name: 'sandbox', start: proc(10_000, 0), end: proc(40_000, 1000) }],
    machine: {
      cores: 2,
      start: { busyUs: 0, totalUs: 0, stealUs: 0, at: 0 },
      end: { busyUs: 400_000, totalUs: 2_000_000, stealUs: 20_000, at: 1000 },
    },
  });
  t.same(summary.cpuBudget, {
    cores: 2,
    machineBusyPercent: 20,
    stealPercent: 1,
    usPerTx: { server: 200, sandbox: 30, generators: 50, machine: 400, other: 120 },
  });
});

t.test('/proc sampling reads the main thread’s run-queue wait where the kernel keeps it', async (t) => {
  const own = sampleProcess(process.pid);
  if (!existsSync(`/proc/${process.pid}/schedstat`)) {
    t.equal(own.runQueueUs, undefined, 'no scheduler statistics: no figure');
    return;
  }
  t.ok(own.runQueueUs !== undefined && own.runQueueUs >= 0, `this process waited ${own.runQueueUs} µs`);
  // Two busy processes pinned to one core take turns on it: each waits about half the time. One core
  // only, and for a bounded time, so tests running beside this one keep the other.
  const burn = 'const e=Date.now()+1500;let x=0;while(Date.now()<e)x++;';
  const pinned = [0, 1].map(() => spawn('taskset', ['-c', '0', process.execPath, '-e', burn], { stdio: 'ignore' }));
  t.teardown(() => {
    for (const p of pinned) p.kill('SIGKILL');
  });
  await new Promise((r) => setTimeout(r, 300));
  const a = sampleProcess(pinned[0].pid!);
  await new Promise((r) => setTimeout(r, 600));
  const b = sampleProcess(pinned[0].pid!);
  const waitedMs = (b.runQueueUs! - a.runQueueUs!) / 1000;
  t.ok(waitedMs > 100, `a process sharing its core waited ${waitedMs.toFixed(0)} ms of 600`);
});

t.test('the server’s kernel share: its system time over its CPU time, when both samples have it', async (t) => {
  const at = (cpuUs: number, sysUs: number | undefined, ms: number) => ({ cpuUs, sysUs, rssBytes: 1, at: ms });
  const s = serverSummary(1, at(1_000_000, 200_000, 0), at(1_400_000, 300_000, 1000), 1000);
  t.match(s, { cpuUsPerTx: 400, cpuPercent: 40, kernelPercent: 25 }, '100 of 400 ms in the kernel');
  t.equal(serverSummary(1, at(0, undefined, 0), at(1, 0, 1000), 1).kernelPercent, undefined, 'not sampled: left out');
});

t.test('the server’s event-loop CPU per transaction: its main threads’ time, when both samples have it', async (t) => {
  const at = (cpuUs: number, mainThreadUs: number | undefined, ms: number) => ({
    cpuUs,
    mainThreadUs,
    rssBytes: 1,
    at: ms,
  });
  const s = serverSummary(1, at(1_000_000, 700_000, 0), at(1_400_000, 1_000_000, 1000), 1000);
  t.match(s, { cpuUsPerTx: 400, eventLoopCpuUsPerTx: 300 }, '300 of 400 ms on the event loop');
  t.equal(
    serverSummary(1, at(0, 0, 0), at(1, undefined, 1000), 1).eventLoopCpuUsPerTx,
    undefined,
    'not sampled: left out',
  );
});

t.test('the run-queue wait is reported per window and per second of the timeline', async (t) => {
  const h = newHistogram();
  recordMs(h, 1);
  const second = (i: number) => ({ second: i, sent: 10, done: 10, errors: 0, histogram: encode(h) });
  const result = {
    sent: 20,
    completed: 20,
    completedInWindow: 20,
    errors: 0,
    warmupRequests: 0,
    warmupErrors: 0,
    errorReasons: {},
    overall: encode(h),
    byType: {},
    timeline: [second(0), second(1)],
    lag: encode(h),
    service: encode(h),
    push: { expected: 0, received: 0, missing: 0, bad: 0, histogram: encode(h) },
    abandoned: 0,
    windowMs: 2000,
    generatorCpuUs: 1000,
  };
  const proc = (cpuUs: number, runQueueUs: number | undefined, at: number, sysUs?: number, mainThreadUs?: number) => ({
    cpuUs,
    sysUs,
    mainThreadUs,
    rssBytes: 1,
    runQueueUs,
    at,
  });
  /** The run's two seconds, the first `warmupMs` of them warm-up. */
  const run = (warmupMs: number) => ({
    label: 'boxfep',
    mode: 'open' as const,
    arrivals: 'constant' as const,
    targetRate: 10,
    warmupMs,
    durationMs: 2000 - warmupMs,
    results: [result],
    server: { pid: 1, start: proc(0, 0, 0, 0, 0), end: proc(600_000, 300_000, 2000, 150_000, 450_000) },
    serverSeconds: [proc(0, 0, 0), proc(500_000, 250_000, 1000), proc(600_000, 300_000, 2000)],
  });
  const { summary } = mergeResults({
    ...run(0),
    parties: [
      { name: 'sandbox', start: proc(0, 1000, 0), end: proc(10_000, 21_000, 2000) },
      { name: 'redis', start: proc(0, undefined, 0), end: proc(10_000, undefined, 2000) },
    ],
    machine: {
      cores: 2,
      start: { busyUs: 0, totalUs: 0, stealUs: 0, at: 0 },
      end: { busyUs: 1_000_000, totalUs: 4_000_000, stealUs: 0, at: 2000 },
    },
  });
  t.equal(summary.server?.runQueueWaitPercent, 15, '300 ms of 2 s');
  t.same(
    summary.cpuBudget?.runQueueWaitPercent,
    { server: 15, sandbox: 1 },
    'a process without the figure is left out',
  );
  t.match(summary.timeline[0], { t: 0, serverCpuPercent: 50, serverRunQueuePercent: 25 });
  t.match(summary.timeline[1], { t: 1, serverCpuPercent: 10, serverRunQueuePercent: 5 });
  const text = runLines(summary).join('\n');
  t.match(text, /its event loop waited for a core 15% of the time/);
  t.match(
    text,
    /30000 µs CPU per transaction, 25% of it in the kernel, 22500 on its event loop, 30% of a core/,
    'the kernel’s share: 150 of 600 ms; the event loop’s: 450 of 600 ms',
  );
  t.match(text, /worst seconds: t=0 s p99 1\.00 ms \(server CPU 50%, waited for a core 25%\)/);
  t.match(text, /waiting for a core: server 15%, sandbox 1%/);
  t.notMatch(text, /start of load/, 'no warm-up: no start-of-load line');
  const warmedUp = mergeResults(run(1000)).summary;
  t.match(
    runLines(warmedUp).join('\n'),
    /start of load \(warm-up, not in the figures\): p99 by second 1\.00 ms, p50 1\.00 ms; server CPU 50 %, waited for a core 25 %\n/,
    'the warm-up second only, with what the server did in it',
  );
});

t.test(
  'the p99 second by second: the typical second and the bad ones, warm-up and idle seconds left out',
  async (t) => {
    const sec = (t: number, p99: number, done = 100) => ({ t, sent: done, done, errors: 0, p50: 1, p99, max: p99 });
    const timeline = [
      sec(0, 900),
      sec(1, 4),
      sec(2, 12),
      sec(3, 60),
      sec(4, 8),
      sec(5, 150),
      sec(6, 5),
      sec(7, 999, 0),
    ];
    t.same(
      secondsP99(timeline, 1),
      { seconds: 6, median: 12, p90: 150, max: 150, over: { 10: 3, 50: 2, 100: 1 } },
      'seconds 1–6: p99s 4, 5, 8, 12, 60, 150',
    );
    t.equal(secondsP99(timeline.slice(0, 1), 1), undefined, 'no measured second: nothing to summarise');
    t.equal(quantileOfSorted([1, 2, 3], 1), 3, 'the top quantile is the last value, not past it');

    const h = newHistogram();
    recordMs(h, 40);
    const quiet = newHistogram();
    recordMs(quiet, 2);
    const second = (i: number, hist: typeof h) => ({ second: i, sent: 1, done: 1, errors: 0, histogram: encode(hist) });
    const merged = (timeline: ReturnType<typeof second>[]) =>
      mergeResults({
        label: 'x',
        mode: 'open',
        arrivals: 'constant',
        targetRate: 1,
        warmupMs: 1000,
        durationMs: 3000,
        results: [
          {
            sent: 4,
            completed: 4,
            completedInWindow: 3,
            errors: 0,
            warmupRequests: 1,
            warmupErrors: 0,
            errorReasons: {},
            overall: encode(h),
            byType: {},
            timeline,
            lag: encode(h),
            service: encode(h),
            push: { expected: 0, received: 0, missing: 0, bad: 0, histogram: encode(h) },
            abandoned: 0,
            windowMs: 3000,
            generatorCpuUs: 1,
          },
        ],
      }).summary;
    const boxfep = merged([second(0, quiet), second(1, h), second(2, h), second(3, quiet)]);
    const near = (x: number | null | undefined, want: number) => x != null && Math.abs(x - want) <= want * 0.02;
    const perSecond = boxfep.secondsP99Ms!;
    t.match(perSecond, { seconds: 3, over: { 10: 2, 50: 0, 100: 0 } }, 'from the merged seconds');
    t.ok(near(perSecond.median, 40) && near(perSecond.max, 40), `median and max 40 ms (${perSecond.median})`);
    t.match(
      runLines(boxfep).join('\n'),
      /p99 second by second: median 40\.\d, p90 40\.\d, max 40\.\d ms over 3 s; seconds above 10 \/ 50 \/ 100 ms: 2 \/ 0 \/ 0$/m,
    );
    const echo = merged([second(0, quiet), second(1, quiet), second(2, quiet), second(3, quiet)]);
    const ratio = ratios(boxfep, echo).secondP99Median;
    t.ok(near(ratio, 20), `the median second’s p99, ×20 the echo’s (×${ratio})`);
  },
);

t.test('wait bands: measured seconds grouped by the server’s wait for a core, with their p99s', async (t) => {
  const sec = (t: number, wait: number | undefined, p99: number) => ({
    t,
    sent: 1,
    done: 1,
    errors: 0,
    p50: 1,
    p99,
    max: p99,
    serverCpuPercent: 50,
    serverRunQueuePercent: wait,
  });
  const bands = waitBands([
    { warmupS: 1, timeline: [sec(0, 90, 999), sec(1, 2, 10), sec(2, 4, 20), sec(3, 12, 40), sec(4, undefined, 5)] },
    { warmupS: 0, timeline: [sec(0, 55, 300), sec(1, 3, 30)] },
  ]);
  t.same(
    bands,
    [
      { fromPercent: 0, toPercent: 5, seconds: 3, p99Median: 20, p99P90: 30, p99Max: 30 },
      { fromPercent: 10, toPercent: 20, seconds: 1, p99Median: 40, p99P90: 40, p99Max: 40 },
      { fromPercent: 20, toPercent: 100, seconds: 1, p99Median: 300, p99P90: 300, p99Max: 300 },
    ],
    'warm-up seconds and seconds without the figure left out; empty bands not listed',
  );
});

t.test('the wallets file for a spawned sandbox gives each wallet its default account', async (t) => {
  const printed = {
    wechat: { url: 'http://127.0.0.1:1', apiKey: 'k'.repeat(32) },
    alipay: { gatewayUrl: 'http://127.0.0.1:2/gateway.do', alipayPublicKeyPem: 'PUB', appPrivateKeyPem: 'PRIV' },
    unionpay: { host: '127.0.0.1', port: 3 },
    notifyUrl: 'http://127.0.0.1:4',
  };
  const eps = parseWalletsFile(walletsFileFor(printed as never), 'wallets.json');
  t.same(eps.WX?.account, SANDBOX_ACCOUNTS.WX);
  t.same(eps.AL?.account, SANDBOX_ACCOUNTS.AL);
  t.same(eps.UP?.account, SANDBOX_ACCOUNTS.UP);
  t.equal(eps.WX?.baseUrl, 'http://127.0.0.1:1');
  t.same(eps.UP && { host: eps.UP.host, port: eps.UP.port }, { host: '127.0.0.1', port: 3 });
});

t.test('the fleet: unique TIDs, 10 boxes per merchant, stable keys per run tag', async (t) => {
  const f = makeFleet(25, 'Q7');
  t.equal(new Set(f.map((x) => x.tid)).size, 25);
  t.equal(new Set(f.map((x) => x.mid)).size, 3);
  t.ok(f.every((x) => x.tid.length === 8 && x.mid.length === 15 && /^[0-9A-F]{32}$/.test(x.tmk)));
  t.same(makeFleet(25, 'Q7'), f, 'same tag, same fleet');
  t.not(makeFleet(1, 'Q8')[0].tmk, f[0].tmk, 'another tag, other keys');
  t.throws(() => makeFleet(1, 'bad'), RangeError);
});

t.test('sweep steps and the SLO verdict', async (t) => {
  t.same(sweepRates({ from: 500, step: 500, max: 2000 }), [500, 1000, 1500, 2000]);
  const run = {
    errors: 0,
    latencyMs: { count: 1, mean: 1, p50: 1, p90: 2, p99: 8, p999: 20, max: 40 },
    mode: 'open',
    achievedRate: 990,
    targetRate: 1000,
  } as never;
  t.equal(sloVerdict(run, { sloP99Ms: 10, sloP999Ms: 30 }).pass, true);
  const v = sloVerdict({ ...(run as object), errors: 2, achievedRate: 900 } as never, { sloP99Ms: 5, sloP999Ms: 30 });
  t.equal(v.pass, false);
  t.equal(v.failures.length, 3, 'errors, p99 and rate each named');
});

t.test('flags: defaults and one clear error per mistake', async (t) => {
  const o = parseBenchArgs(['--spawn'])!;
  t.equal(o.boxes, 10_000);
  t.equal(o.generators, 2, 'ceil(10000 / 8000) generator processes');
  t.equal(o.mix, 'sale=70,precreate=10,query=10,echo=9,reversal=1');
  t.equal(o.mode, 'open');
  t.equal(o.sandboxes, 'process', 'wallet sandboxes in their own process by default');
  t.equal(parseBenchArgs(['--spawn', '--sandboxes', 'in-process'])!.sandboxes, 'in-process');
  const nodeArgs = parseBenchArgs(['--spawn', '--sandbox-node-arg=--trace-gc', '--server-node-arg=--cpu-prof'])!;
  t.same([nodeArgs.sandboxNodeArgs, nodeArgs.serverNodeArgs], [['--trace-gc'], ['--cpu-prof']]);
  t.same(parseBenchArgs(['--spawn'])!.sandboxNodeArgs, []);
  t.same(parseBenchArgs(['--target', '127.0.0.1:5800'])!.target, { host: '127.0.0.1', port: 5800 });
  t.equal(parseBenchArgs(['--help']), undefined);
  const pinned = parseBenchArgs(['--spawn', '--server-cpus', '0'])!;
  t.same([pinned.serverCpus, pinned.loadCpus, o.serverCpus], ['0', undefined, undefined], 'unpinned unless asked');
  t.same([parseBenchArgs(['--spawn', '--load-nice', '10'])!.loadNice, o.loadNice], [10, undefined]);
  t.same(parseCpuList('0,2-3,2', 4), [0, 2, 3], 'a CPU list, each CPU once');
  const bad: Array<[string[], RegExp]> = [
    [[], /exactly one of --spawn or --target/],
    [['--spawn', '--target', 'h:1'], /exactly one/],
    [['--target', 'nohost'], /HOST:PORT/],
    [['--spawn', '--rate', '0'], /--rate must be between/],
    [['--spawn', '--mix', 'sale=1,foo=2'], /unknown transaction type 'foo'/],
    [['--spawn', '--baseline', 'nginx'], /only 'echo'/],
    [['--spawn', '--wallets', 'WX,ZZ'], /unknown wallet/],
    [['--spawn', '--sweep', '--baseline', 'echo'], /not with --sweep/],
    [['--target', 'h:1', '--store', 'memory'], /--store is for --spawn/],
    [['--spawn', '--frobnicate'], /frobnicate/],
    [['--spawn', '--sandboxes', 'elsewhere'], /--sandboxes must be/],
    [['--target', 'h:1', '--sandboxes', 'process'], /--sandboxes is for --spawn/],
    [['--spawn', '--server-cpus', 'one'], /--server-cpus: 'one' is not a CPU list/],
    [['--spawn', '--load-cpus', '0,9999'], /--load-cpus: CPU 9999 does not exist/],
    [['--spawn', '--load-cpus', '3-1'], /runs backwards/],
    [['--target', 'h:1', '--server-cpus', '0'], /--server-cpus is for --spawn/],
    [['--spawn', '--server-cpus', '0', '--load-cpus', '0'], /share CPU 0/],
    [['--spawn', '--load-nice', '0'], /--load-nice must be between 1 and 19/],
    [['--spawn', '--load-nice', '20'], /--load-nice must be between 1 and 19/],
  ];
  for (const [argv, re] of bad) t.throws(() => parseBenchArgs(argv), { name: 'BenchUsageError', message: re });
  t.ok(new BenchUsageError('x') instanceof Error);
});

t.test('store figures from two /metrics scrapes: operations and terminal-cache lookups per transaction', async (t) => {
  const scrape = (ops: number, hits: number) =>
    parseCounters(
      [
        '# HELP boxfep_store_command_seconds Latency of store operations.',
        `boxfep_store_command_seconds_bucket{le="0.001",op="beginPayment",backend="redis"} ${ops}`,
        `boxfep_store_command_seconds_count{op="beginPayment",backend="redis"} ${ops}`,
        `boxfep_store_command_seconds_count{op="transition",backend="redis"} ${ops}`,
        'boxfep_store_command_seconds_count{op="renewLease",backend="redis"} 1',
        `boxfep_store_terminal_cache_lookups_total{result="hit"} ${hits}`,
        'boxfep_store_terminal_cache_lookups_total{result="miss"} 10',
        'boxfep_store_terminal_cache_lookups_total{result="bypass"} 0',
        'boxfep_server_transactions_total{type="sale",rc="00"} 99',
      ].join('\n'),
    );
  const start = scrape(100, 50);
  t.equal(start.size, 6, 'only the counters read here');
  const s = storeSummary(start, scrape(1100, 1040), 1000);
  t.same(s, {
    opsPerTx: 2,
    byOp: { beginPayment: 1, transition: 1 },
    terminalCache: { hit: 990, miss: 0, bypass: 0, hitRatio: 1 },
  });
  t.equal(storeSummary(start, start, 1000), undefined, 'nothing moved (the memory store): nothing to report');
  t.equal(storeSummary(start, scrape(1100, 1040), 0), undefined, 'no transactions');
});
