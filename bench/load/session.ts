// One `boxfep bench` invocation: provision the fleet, start what is measured (the echo baseline, then
// boxfep spawned or targeted), connect the fleet across the generator processes, run (once or as a
// sweep), sample the server, and assemble the report. Every wait is bounded.

import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FleetTerminal, makeFleet, randomRunTag, writeFleetTerminalsFile } from './fleet.js';
import type { Progress, RunSpec } from './generator.js';
import { ChildGenerator, type ConnectSummary, type Generator, LocalGenerator } from './generators.js';
import { type MachineInfo, machineInfo } from './machine.js';
import { formatMix, parseMix } from './mix.js';
import type { BenchOptions } from './options.js';
import { allowedCpus, niceOf, nodeFlagsOf, pinProcess, placedCommand } from './placement.js';
import { type MachineSample, type ProcSample, trySample, trySampleMachine } from './proc-stat.js';
import { localRedisPid } from './redis-pid.js';
import { type MergeInput, mergeResults, type RunOutcome, type RunSummary } from './results.js';
import { type Counters, scrapeCounters, storeSummary } from './server-metrics.js';
import { sampleEverySecond } from './server-seconds.js';
import {
  CLI_PATH,
  type SpawnedSandbox,
  type SpawnedServer,
  spawnBoxfep,
  spawnSandbox,
  walletsFileFor,
} from './spawn.js';
import { deleteRunKeys } from './store-cleanup.js';

export interface BenchIO {
  /** A finished line of output. */
  line(text: string): void;
  /** The live progress line (overwritten in place on a terminal). */
  progress(text: string): void;
}

export interface ConnectionReport {
  boxes: number;
  connected: number;
  connectFailures: number;
  signOnFailures: number;
  failureSamples: string[];
  connectSeconds: number;
  /** Server RSS before the fleet connected and once every box had signed on (spawned or --pid). */
  rssBeforeBytes?: number;
  rssConnectedBytes?: number;
  bytesPerConnection?: number;
  /** Server CPU while the connected fleet was silent (timers, background loops), % of a core. */
  idleCpuPercent?: number;
}

export interface PhaseOutcome {
  connection: ConnectionReport;
  runs: RunOutcome[];
}

export interface SloVerdict {
  p99Ms: number;
  p999Ms: number;
  pass: boolean;
  failures: string[];
}

/** The run reported at the top level (the single run, or the highest sweep step that held the SLO) plus context. */
export interface BenchReport extends RunSummary {
  tool: 'boxfep bench';
  startedAt: string;
  machine: MachineInfo;
  /** 1-, 5- and 15-minute load averages at the start and the end: a shared machine's noise, stated. */
  loadAverage: { start: number[]; end: number[] };
  command: string[];
  runTag: string;
  target: {
    kind: 'spawn' | 'target';
    address: string;
    store?: string;
    pid?: number;
    logFile?: string;
    /** Where the spawned boxfep's wallet sandboxes ran; with `process`, the sandbox's pid. */
    sandboxes?: 'process' | 'in-process';
    sandboxPid?: number;
  };
  options: Record<string, unknown>;
  /**
   * With --server-cpus / --load-cpus: the CPUs each process was allowed, as the kernel reported it
   * (Cpus_allowed_list) once it ran: boxfep, the echo server, the sandbox, this process and its generators.
   */
  cpus?: { server?: string; echo?: string; sandbox?: string; load?: string; generators?: string[] };
  /**
   * With --load-nice: the niceness of the load's processes as the kernel reported it once they ran
   * (this process stays at its own: the servers it starts must not inherit the load's).
   */
  loadNice?: { sandbox?: number; generators?: (number | undefined)[] };
  connection: ConnectionReport;
  slo: SloVerdict;
  baseline?: RunSummary & { connection: ConnectionReport };
  ratios?: Record<string, number | null>;
  sweep?: { steps: Array<RunSummary & { slo: SloVerdict }>; maxRateHoldingSlo: number | null };
}

/** Everything the report writers need: the JSON-able report plus the merged histograms. */
export interface BenchResult {
  report: BenchReport;
  main: RunOutcome;
  baseline?: RunOutcome;
}

const ECHO_MAIN = join(fileURLToPath(new URL('.', import.meta.url)), 'echo-main.js');
const START_LEAD_MS = 500;
const IDLE_SAMPLE_MS = 2000;

export async function runBench(o: BenchOptions, io: BenchIO, argv: string[] = []): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg();
  const tag = o.runTag ?? randomRunTag();
  const fleet = makeFleet(o.boxes, tag);
  const workDir = o.outDir ?? mkdtempSync(join(tmpdir(), `boxfep-bench-${tag}-`));
  mkdirSync(workDir, { recursive: true });
  const terminalsFile = join(workDir, 'terminals.json');
  writeFleetTerminalsFile(terminalsFile, fleet);
  io.line(`fleet: ${o.boxes} boxes, run tag ${tag}, terminals file ${terminalsFile}`);

  const pinned = o.serverCpus !== undefined || o.loadCpus !== undefined;
  const placement: NonNullable<BenchReport['cpus']> = {};
  const niced: NonNullable<BenchReport['loadNice']> = {};
  const loadPlace = { cpus: o.loadCpus, nice: o.loadNice };
  /** The node flags each server ran with, read back from /proc. */
  const nodeFlags: { server?: string[]; echo?: string[] } = {};
  if (o.loadCpus !== undefined) pinProcess(process.pid, o.loadCpus);
  if (pinned) placement.load = allowedCpus(process.pid);
  const seeGenerators = (pids: (number | undefined)[]) => {
    if (pinned) placement.generators = pids.map((pid) => (pid === undefined ? '?' : (allowedCpus(pid) ?? '?')));
    if (o.loadNice !== undefined) niced.generators = pids.map((pid) => (pid === undefined ? undefined : niceOf(pid)));
  };

  let baseline: PhaseOutcome | undefined;
  if (o.baseline === 'echo') {
    const echo = await startEchoChild(o.serverCpus);
    if (pinned) placement.echo = allowedCpus(echo.pid);
    nodeFlags.echo = nodeFlagsOf(echo.pid, ECHO_MAIN);
    try {
      io.line(`baseline: echo server pid ${echo.pid} on 127.0.0.1:${echo.port}`);
      baseline = await phase(
        o,
        io,
        fleet,
        { host: '127.0.0.1', port: echo.port },
        echo.pid,
        false,
        'echo baseline',
        [],
        seeGenerators,
      );
    } finally {
      await echo.stop();
    }
  }

  let server: SpawnedServer | undefined;
  let address: { host: string; port: number };
  const logFile = join(workDir, 'server.log');
  let sandbox: SpawnedSandbox | undefined;
  if (o.spawn) {
    const serveArgs = [...o.serveArgs];
    if (o.sandboxes === 'process') {
      // The wallets in their own process, so the sampled server CPU is boxfep's alone.
      sandbox = await spawnSandbox(join(workDir, 'sandbox.log'), o.sandboxNodeArgs, undefined, loadPlace);
      if (pinned) placement.sandbox = allowedCpus(sandbox.pid);
      if (o.loadNice !== undefined) niced.sandbox = niceOf(sandbox.pid);
      const walletsFile = join(workDir, 'wallets.json');
      writeFileSync(walletsFile, walletsFileFor(sandbox.endpoints), { mode: 0o600 });
      serveArgs.unshift('--sandbox=false', `--wallets=${walletsFile}`);
      io.line(`wallet sandboxes: pid ${sandbox.pid}, endpoints in ${walletsFile}`);
    }
    io.line(`spawning boxfep (store ${o.store}); log ${logFile}`);
    try {
      server = await spawnBoxfep({
        store: o.store,
        terminalsFile,
        logFile,
        maxConnections: o.boxes + 1000,
        serveArgs,
        nodeArgs: o.serverNodeArgs,
        readyTimeoutMs: 180_000,
        cpus: o.serverCpus,
      });
      if (pinned) placement.server = allowedCpus(server.pid);
      nodeFlags.server = nodeFlagsOf(server.pid, CLI_PATH);
    } catch (err) {
      await sandbox?.stop();
      throw err;
    }
    address = { host: '127.0.0.1', port: server.port };
    io.line(`boxfep pid ${server.pid} serving on 127.0.0.1:${server.port}`);
  } else {
    address = o.target!;
  }
  let main: PhaseOutcome;
  try {
    const parties: Party[] = [];
    if (sandbox) parties.push({ name: 'sandbox', pid: sandbox.pid });
    const redisPid = o.spawn ? await localRedisPid(o.store) : undefined;
    if (redisPid !== undefined) parties.push({ name: 'redis', pid: redisPid });
    main = await phase(
      o,
      io,
      fleet,
      address,
      server?.pid ?? o.pid,
      true,
      'boxfep',
      parties,
      seeGenerators,
      server?.adminPort,
    );
  } finally {
    const code = await server?.stop();
    await sandbox?.stop();
    if (server && code !== 0 && code !== null) io.line(`boxfep exited with code ${code}; see ${logFile}`);
    if (o.spawn && /^rediss?:\/\//.test(o.store) && !o.keepStoreData) {
      try {
        io.line(`deleted ${await deleteRunKeys(o.store, tag)} Redis keys of run ${tag}`);
      } catch (err) {
        io.line(`could not delete run ${tag}'s Redis keys: ${(err as Error).message}`);
      }
    }
  }

  const verdicts = main.runs.map((r) => sloVerdict(r.summary, o));
  let chosen = main.runs.length - 1;
  if (o.sweep) {
    const passing = verdicts.map((v, i) => (v.pass ? i : -1)).filter((i) => i >= 0);
    chosen = passing.length > 0 ? passing[passing.length - 1] : 0;
  }
  const top = main.runs[chosen];
  const report: BenchReport = {
    ...top.summary,
    tool: 'boxfep bench',
    startedAt,
    machine: machineInfo(),
    loadAverage: { start: loadAtStart.map(round2), end: loadavg().map(round2) },
    command: argv,
    runTag: tag,
    target: {
      kind: o.spawn ? 'spawn' : 'target',
      address: `${address.host}:${address.port}`,
      ...(o.spawn
        ? { store: o.store, pid: server?.pid, logFile, sandboxes: o.sandboxes, sandboxPid: sandbox?.pid }
        : o.pid
          ? { pid: o.pid }
          : {}),
    },
    ...(pinned ? { cpus: placement } : {}),
    ...(o.loadNice !== undefined ? { loadNice: niced } : {}),
    options: {
      boxes: o.boxes,
      mode: o.mode,
      rate: o.rate,
      arrivals: o.arrivals,
      concurrency: o.mode === 'closed' ? o.concurrency : undefined,
      durationS: o.durationS,
      warmupS: o.warmupS,
      mix: formatMix(parseMix(o.mix)),
      wallets: o.wallets,
      rampPerSec: o.rampPerSec,
      generators: o.generators,
      seed: o.seed,
      serveArgs: o.serveArgs,
      serverNodeArgs: nodeFlags.server,
      echoNodeArgs: nodeFlags.echo,
      sandboxes: o.spawn ? o.sandboxes : undefined,
      serverCpus: o.serverCpus,
      loadCpus: o.loadCpus,
      loadNice: o.loadNice,
    },
    connection: main.connection,
    slo: verdicts[chosen],
  };
  if (baseline) {
    const b = baseline.runs[0].summary;
    report.baseline = { ...b, connection: baseline.connection };
    report.ratios = ratios(top.summary, b);
  }
  if (o.sweep) {
    report.sweep = {
      steps: main.runs.map((r, i) => ({ ...r.summary, slo: verdicts[i] })),
      maxRateHoldingSlo: verdicts.some((v) => v.pass) ? top.summary.targetRate : null,
    };
  }
  return { report, main: top, baseline: baseline?.runs[0] };
}

/** Connect the fleet to one server, run once or step through the sweep, close. */
async function phase(
  o: BenchOptions,
  io: BenchIO,
  fleet: readonly FleetTerminal[],
  address: { host: string; port: number },
  pid: number | undefined,
  isBoxfep: boolean,
  label: string,
  parties: readonly Party[] = [],
  /** Told the generator processes' pids once they run (to read where they may run). */
  onGenerators?: (pids: (number | undefined)[]) => void,
  /** The server's admin port: its /metrics are read at the window's edges (store figures). */
  adminPort?: number,
): Promise<PhaseOutcome> {
  const slices = split(fleet, Math.max(1, o.generators));
  const children =
    o.generators === 0
      ? []
      : slices.map(() => new ChildGenerator(o.generatorNodeArgs, { cpus: o.loadCpus, nice: o.loadNice }));
  const gens: Generator[] = o.generators === 0 ? [new LocalGenerator()] : children;
  try {
    const before = trySample(pid);
    const started = performance.now();
    io.line(`${label}: connecting ${fleet.length} boxes at ${o.rampPerSec}/s${isBoxfep ? ', signing on' : ''}`);
    const summaries: ConnectSummary[] = await Promise.all(
      gens.map((g, i) =>
        g.connect({
          host: address.host,
          port: address.port,
          terminals: slices[i],
          rampPerSec: (o.rampPerSec * slices[i].length) / fleet.length,
          signOn: isBoxfep,
          replyTimeoutMs: o.replyTimeoutMs,
          stanStart: 1 + (Date.now() % 500_000),
        }),
      ),
    );
    // They have answered: each runs node now (pinned by taskset first when asked).
    onGenerators?.(children.map((c) => c.pid));
    // Let the server settle (GC, key caches), then read its idle memory and its idle CPU (timers,
    // background loops) over a quiet interval: that share is not the transactions' cost.
    await sleep(1000);
    const connected = trySample(pid);
    await sleep(IDLE_SAMPLE_MS);
    const idleEnd = trySample(pid);
    const connection: ConnectionReport = {
      boxes: fleet.length,
      connected: summaries.reduce((n, s) => n + s.connected, 0),
      connectFailures: summaries.reduce((n, s) => n + s.connectFailures, 0),
      signOnFailures: summaries.reduce((n, s) => n + s.signOnFailures, 0),
      failureSamples: summaries.flatMap((s) => s.failureSamples).slice(0, 5),
      connectSeconds: Math.round((performance.now() - started) / 100) / 10,
    };
    if (before && connected) {
      connection.rssBeforeBytes = before.rssBytes;
      connection.rssConnectedBytes = connected.rssBytes;
      if (connection.connected > 0) {
        connection.bytesPerConnection = Math.round((connected.rssBytes - before.rssBytes) / connection.connected);
      }
    }
    if (connected && idleEnd) {
      connection.idleCpuPercent =
        Math.round((1000 * (idleEnd.cpuUs - connected.cpuUs)) / ((idleEnd.at - connected.at) * 1000)) / 10;
    }
    io.line(
      `${label}: ${connection.connected} connected in ${connection.connectSeconds} s` +
        (connection.connectFailures + connection.signOnFailures > 0
          ? ` (${connection.connectFailures} connect and ${connection.signOnFailures} sign-on failures: ${connection.failureSamples[0]})`
          : '') +
        (connection.bytesPerConnection !== undefined
          ? `, server RSS +${(connection.bytesPerConnection / 1024).toFixed(1)} KB per connection`
          : ''),
    );
    if (connection.connected === 0) throw new Error(`${label}: no box could connect and sign on`);

    const rates = o.sweep ? sweepRates(o.sweep) : [o.rate];
    const runs: RunOutcome[] = [];
    for (const rate of rates) {
      const outcome = await runOnce(
        o,
        io,
        gens,
        slices,
        fleet.length,
        rate,
        pid,
        isBoxfep,
        label,
        connection.idleCpuPercent,
        parties,
        adminPort,
      );
      runs.push(outcome);
      if (o.sweep) {
        const v = sloVerdict(outcome.summary, o);
        io.line(`sweep ${rate}/s: ${v.pass ? 'holds the SLO' : `misses the SLO (${v.failures.join('; ')})`}`);
        if (!v.pass) break;
      }
    }
    return { connection, runs };
  } finally {
    await Promise.allSettled(gens.map((g) => g.close()));
  }
}

async function runOnce(
  o: BenchOptions,
  io: BenchIO,
  gens: Generator[],
  slices: FleetTerminal[][],
  total: number,
  rate: number,
  pid: number | undefined,
  check: boolean,
  label: string,
  idleCpuPercent: number | undefined,
  parties: readonly Party[],
  adminPort: number | undefined,
): Promise<RunOutcome> {
  const startAt = Date.now() + START_LEAD_MS;
  const warmupMs = o.warmupS * 1000;
  const durationMs = o.durationS * 1000;
  const base: Omit<RunSpec, 'ratePerSec' | 'concurrency' | 'seed'> = {
    mode: o.mode,
    arrivals: o.arrivals,
    warmupMs,
    durationMs,
    mix: o.mix,
    wallets: o.wallets,
    startAt,
    drainMs: o.replyTimeoutMs + 1000,
    pushGraceMs: check ? o.pushGraceMs : 0,
    check,
  };
  // Sample the server, the other parties and the machine at the edges of the measured window.
  let start: WindowSample | undefined;
  let end: WindowSample | undefined;
  let startCounters: Promise<Counters | undefined> | undefined;
  let endCounters: Promise<Counters | undefined> | undefined;
  const t1 = setTimeout(
    () => {
      start = sampleWindowEdge(pid, parties);
      if (adminPort !== undefined) startCounters = scrapeCounters(adminPort);
    },
    startAt - Date.now() + warmupMs,
  );
  const t2 = setTimeout(
    () => {
      end = sampleWindowEdge(pid, parties);
      if (adminPort !== undefined) endCounters = scrapeCounters(adminPort);
    },
    startAt - Date.now() + warmupMs + durationMs,
  );
  const perSecond = sampleEverySecond(pid, startAt, o.warmupS + o.durationS);
  const ticker = progressTicker(io, gens.length, label, rate, o);
  io.line(
    `${label}: ${o.mode === 'open' ? `${rate}/s ${o.arrivals}` : `closed loop, ${o.concurrency} outstanding`}, ` +
      `${o.warmupS} s warm-up + ${o.durationS} s measured`,
  );
  try {
    const results = await Promise.all(
      gens.map((g, i) =>
        g.run(
          {
            ...base,
            ratePerSec: (rate * slices[i].length) / total,
            concurrency: Math.max(1, Math.round((o.concurrency * slices[i].length) / total)),
            seed: o.seed * 1000 + i,
          },
          (p) => ticker(i, p),
        ),
      ),
    );
    io.progress('');
    const server =
      pid !== undefined && start?.server && end?.server
        ? { pid, start: start.server, end: end.server, idleCpuPercent }
        : undefined;
    const outcome = mergeResults({
      label,
      mode: o.mode,
      arrivals: o.arrivals,
      targetRate: o.mode === 'open' ? rate : 0,
      warmupMs,
      durationMs,
      results,
      server,
      serverSeconds: perSecond.samples,
      ...windowParties(start, end),
    });
    const [c0, c1] = await Promise.all([startCounters, endCounters]);
    const summary = outcome.summary;
    const store = c0 && c1 ? storeSummary(c0, c1, summary.achievedRate * summary.durationS) : undefined;
    if (store && summary.server) summary.server.store = store;
    return outcome;
  } finally {
    clearTimeout(t1);
    clearTimeout(t2);
    perSecond.stop();
  }
}

/** A process besides boxfep whose CPU the run charges to the machine budget (sandbox, Redis). */
export interface Party {
  name: string;
  pid: number;
}

interface WindowSample {
  server?: ProcSample;
  parties: Map<string, ProcSample>;
  machine?: MachineSample;
}

function sampleWindowEdge(pid: number | undefined, parties: readonly Party[]): WindowSample {
  const out: WindowSample = { server: trySample(pid), parties: new Map(), machine: trySampleMachine() };
  for (const p of parties) {
    const s = trySample(p.pid);
    if (s) out.parties.set(p.name, s);
  }
  return out;
}

function windowParties(start: WindowSample | undefined, end: WindowSample | undefined): Partial<MergeInput> {
  if (!start?.machine || !end?.machine) return {};
  const parties: NonNullable<MergeInput['parties']> = [];
  for (const [name, s] of start.parties) {
    const e = end.parties.get(name);
    if (e) parties.push({ name, start: s, end: e });
  }
  // The machine's cores, not this process's share of them (--load-cpus pins this process).
  return { parties, machine: { cores: cpus().length, start: start.machine, end: end.machine } };
}

/** Combines the generators' per-second progress into one line once all of them reported that second. */
function progressTicker(io: BenchIO, n: number, label: string, rate: number, o: BenchOptions) {
  const bySecond = new Map<number, Progress[]>();
  return (i: number, p: Progress) => {
    if (o.quiet) return;
    const list = bySecond.get(p.second) ?? [];
    list[i] = p;
    bySecond.set(p.second, list);
    if (list.filter(Boolean).length < n) return;
    bySecond.delete(p.second);
    const sum = (f: (x: Progress) => number) => list.reduce((s, x) => s + f(x), 0);
    const phase = p.second <= o.warmupS ? 'warm-up' : 'measure';
    io.progress(
      `${label} ${String(p.second).padStart(4)} s ${phase}  target ${o.mode === 'open' ? rate : '-'}/s  ` +
        `sent ${sum((x) => x.sent)}/s  done ${sum((x) => x.done)}/s  errors ${sum((x) => x.errors)}  ` +
        `in flight ${sum((x) => x.inFlight)}  p99 ${Math.max(...list.map((x) => x.p99Ms)).toFixed(2)} ms`,
    );
  };
}

export function sloVerdict(r: RunSummary, o: Pick<BenchOptions, 'sloP99Ms' | 'sloP999Ms'>): SloVerdict {
  const failures: string[] = [];
  if (r.errors > 0) failures.push(`${r.errors} errors`);
  if (r.latencyMs.p99 > o.sloP99Ms) failures.push(`p99 ${r.latencyMs.p99} ms > ${o.sloP99Ms} ms`);
  if (r.latencyMs.p999 > o.sloP999Ms) failures.push(`p99.9 ${r.latencyMs.p999} ms > ${o.sloP999Ms} ms`);
  if (r.mode === 'open' && r.achievedRate < 0.95 * r.targetRate) {
    failures.push(`achieved ${r.achievedRate}/s < 95% of ${r.targetRate}/s`);
  }
  return { p99Ms: o.sloP99Ms, p999Ms: o.sloP999Ms, pass: failures.length === 0, failures };
}

export function ratios(r: RunSummary, b: RunSummary): Record<string, number | null> {
  const q = (x: number, y: number) => (y > 0 ? Math.round((x / y) * 100) / 100 : null);
  return {
    p50: q(r.latencyMs.p50, b.latencyMs.p50),
    p90: q(r.latencyMs.p90, b.latencyMs.p90),
    p99: q(r.latencyMs.p99, b.latencyMs.p99),
    p999: q(r.latencyMs.p999, b.latencyMs.p999),
    max: q(r.latencyMs.max, b.latencyMs.max),
    cpuUsPerTx: r.server && b.server ? q(r.server.cpuUsPerTx, b.server.cpuUsPerTx) : null,
    serviceP99: q(r.serviceMs.p99, b.serviceMs.p99),
    secondP99Median: r.secondsP99Ms && b.secondsP99Ms ? q(r.secondsP99Ms.median, b.secondsP99Ms.median) : null,
  };
}

export function sweepRates(s: { from: number; step: number; max: number }): number[] {
  const out: number[] = [];
  for (let r = s.from; r <= s.max && out.length < 1000; r += s.step) out.push(r);
  return out;
}

function split<T>(items: readonly T[], n: number): T[][] {
  const size = Math.ceil(items.length / n);
  return Array.from({ length: n }, (_, i) => items.slice(i * size, (i + 1) * size)).filter((s) => s.length > 0);
}

interface EchoChild {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

function startEchoChild(cpus: string | undefined): Promise<EchoChild> {
  const run = placedCommand({ cpus }, process.execPath, []);
  const child: ChildProcess = fork(ECHO_MAIN, [], {
    execPath: run.command,
    execArgv: run.args,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('echo server did not start within 10 s'));
    }, 10_000);
    child.once('exit', (code) => reject(new Error(`echo server exited (${code})`)));
    child.once('message', (m: { port: number; pid: number }) => {
      clearTimeout(timer);
      resolve({
        pid: m.pid,
        port: m.port,
        stop: () =>
          new Promise<void>((res) => {
            if (child.exitCode !== null) return res();
            const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
            child.once('exit', () => {
              clearTimeout(kill);
              res();
            });
            child.send({ cmd: 'stop' });
          }),
      });
    });
  });
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
