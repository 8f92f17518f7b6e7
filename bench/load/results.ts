// Merging the generators' results into one run summary: counts add up, histograms are added (never
// percentiles averaged), and the server's CPU and memory samples become µs per transaction and RSS.
import type { RunResult } from './generator.js';
import { type Histogram, type LatencySummaryMs, mergeEncoded, summarize } from './histograms.js';
import { TX_TYPES, type TxType } from './mix.js';
import type { MachineSample, ProcSample } from './proc-stat.js';
import { type SecondsP99, secondsP99 } from './seconds-p99.js';
import type { StoreSummary } from './server-metrics.js';

export interface TypeSummary {
  count: number;
  errors: number;
  rc: Record<string, number>;
  latencyMs: LatencySummaryMs;
  /** From the actual send (the generator's send lag left out). */
  serviceMs: LatencySummaryMs;
}

export interface SecondSummary {
  t: number;
  sent: number;
  done: number;
  errors: number;
  p50: number;
  p99: number;
  max: number;
  /** The server's CPU in this second, % of one core (spawned or local server only). */
  serverCpuPercent?: number;
  /** Time the server's event loop waited for a core in this second, % of the second. */
  serverRunQueuePercent?: number;
}

export interface ServerSummary {
  pid: number;
  /** CPU time of the server process per transaction answered in the measured window, µs. */
  cpuUsPerTx: number;
  /** Share of one core the server used during the window, %. */
  cpuPercent: number;
  /** RSS at the end of the window. */
  rssBytes: number;
  /** cpuUsPerTx less the server's idle CPU (timers, background loops) over the same time, µs. */
  cpuUsPerTxNetOfIdle?: number;
  /** Share of the server's CPU time spent in the kernel (system time: socket I/O, page faults), %. */
  kernelPercent?: number;
  /**
   * The part of cpuUsPerTx spent on the server's main threads (its event loops), µs; the rest is its
   * helper threads': V8's parallel scavenges and concurrent marking, the crypto pool, libuv's threads.
   */
  eventLoopCpuUsPerTx?: number;
  /**
   * Share of the window the server's event loop was ready to run but waited for a core (summed over
   * its processes' main threads), %: the machine's contention, which no change in the server removes.
   */
  runQueueWaitPercent?: number;
  /** The server's own store figures over the window, from its /metrics (server-metrics.ts). */
  store?: StoreSummary;
}

/**
 * Where the machine's CPU went during the measured window, per transaction answered: boxfep, the
 * processes it needs on this machine (wallet sandboxes, Redis), the load generators, and the machine
 * as a whole. On a machine shared by all of them, this is the budget a target rate must fit in.
 */
export interface CpuBudget {
  cores: number;
  /** Busy share of the whole machine (every process and the kernel), % of all cores. */
  machineBusyPercent: number;
  /** CPU the hypervisor gave to other guests while this one wanted it, % of all cores. */
  stealPercent: number;
  /**
   * µs per transaction: `server` (the process under test), `sandbox` and `redis` (when sampled),
   * `generators`, `other` (the rest: the bench's parent, kernel threads, other work) and `machine` (all).
   */
  usPerTx: Record<string, number>;
  /** Per process sampled (`server`, `sandbox`, `redis`): its main thread's wait for a core, % of the window. */
  runQueueWaitPercent?: Record<string, number>;
}

export interface RunSummary {
  label: string;
  mode: 'open' | 'closed';
  arrivals: string;
  targetRate: number;
  achievedRate: number;
  sentRate: number;
  durationS: number;
  warmupS: number;
  requests: number;
  completed: number;
  errors: number;
  errorReasons: Record<string, number>;
  warmupRequests: number;
  warmupErrors: number;
  latencyMs: LatencySummaryMs;
  byType: Partial<Record<TxType, TypeSummary>>;
  responseCodes: Record<string, number>;
  push: { expected: number; received: number; missing: number; bad: number; latencyMs: LatencySummaryMs };
  generatorLagMs: LatencySummaryMs;
  /**
   * From each request's actual send to its reply: the latency without the generator's send lag. The
   * latency (from the intended send) is the figure that counts; this says how much of it the server
   * and the network took, where the generator shares a machine with them.
   */
  serviceMs: LatencySummaryMs;
  /** The load generators' own CPU per transaction answered in the window (all their processes), µs. */
  generatorCpuUsPerTx: number;
  timeline: SecondSummary[];
  /** The measured seconds' own p99s: the typical second (median), the bad ones (max, counts over thresholds). */
  secondsP99Ms?: SecondsP99;
  server?: ServerSummary;
  cpuBudget?: CpuBudget;
}

/** The summary plus the merged histograms the HTML and .hgrm reports draw from. */
export interface RunOutcome {
  summary: RunSummary;
  overall: Histogram;
  byType: Partial<Record<TxType, Histogram>>;
}

export interface MergeInput {
  label: string;
  mode: 'open' | 'closed';
  arrivals: string;
  targetRate: number;
  warmupMs: number;
  durationMs: number;
  results: readonly RunResult[];
  server?: { pid: number; start: ProcSample; end: ProcSample; idleCpuPercent?: number };
  /** The server sampled at the start of every second of the timeline (sampleEverySecond). */
  serverSeconds?: readonly (ProcSample | undefined)[];
  /** Other processes sampled at the window's edges (sandbox, redis), by name. */
  parties?: { name: string; start: ProcSample; end: ProcSample }[];
  machine?: { cores: number; start: MachineSample; end: MachineSample };
}

export function mergeResults(input: MergeInput): RunOutcome {
  const rs = input.results;
  const sum = (f: (r: RunResult) => number) => rs.reduce((n, r) => n + f(r), 0);
  const windowS = input.durationMs / 1000;
  const overall = mergeEncoded(rs.map((r) => r.overall));
  const errorReasons: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r.errorReasons)) errorReasons[k] = (errorReasons[k] ?? 0) + v;

  const byTypeHist: Partial<Record<TxType, Histogram>> = {};
  const byType: Partial<Record<TxType, TypeSummary>> = {};
  const responseCodes: Record<string, number> = {};
  for (const t of TX_TYPES) {
    const parts = rs.map((r) => r.byType[t]).filter((x) => x !== undefined);
    if (parts.length === 0) continue;
    const h = mergeEncoded(parts.map((p) => p.histogram));
    const rc: Record<string, number> = {};
    for (const p of parts) {
      for (const [code, n] of Object.entries(p.rc)) {
        rc[code] = (rc[code] ?? 0) + n;
        responseCodes[code] = (responseCodes[code] ?? 0) + n;
      }
    }
    byTypeHist[t] = h;
    byType[t] = {
      count: parts.reduce((n, p) => n + p.count, 0),
      errors: parts.reduce((n, p) => n + p.errors, 0),
      rc,
      latencyMs: summarize(h),
      serviceMs: summarize(mergeEncoded(parts.map((p) => p.service))),
    };
  }

  const seconds = Math.max(0, ...rs.map((r) => r.timeline.length));
  const timeline: SecondSummary[] = [];
  for (let i = 0; i < seconds; i++) {
    const parts = rs.map((r) => r.timeline[i]).filter((x) => x !== undefined);
    const s = summarize(
      mergeEncoded(
        parts.map((p) => p.histogram),
        2,
      ),
    );
    timeline.push({
      t: i,
      sent: parts.reduce((n, p) => n + p.sent, 0),
      done: parts.reduce((n, p) => n + p.done, 0),
      errors: parts.reduce((n, p) => n + p.errors, 0),
      p50: s.p50,
      p99: s.p99,
      max: s.max,
      ...serverSecond(input.serverSeconds?.[i], input.serverSeconds?.[i + 1]),
    });
  }

  const completedInWindow = sum((r) => r.completedInWindow);
  const summary: RunSummary = {
    label: input.label,
    mode: input.mode,
    arrivals: input.mode === 'open' ? input.arrivals : 'closed-loop',
    targetRate: input.targetRate,
    achievedRate: round1(completedInWindow / windowS),
    sentRate: round1(sum((r) => r.sent) / windowS),
    durationS: windowS,
    warmupS: input.warmupMs / 1000,
    requests: sum((r) => r.sent),
    completed: sum((r) => r.completed),
    errors: sum((r) => r.errors),
    errorReasons,
    warmupRequests: sum((r) => r.warmupRequests),
    warmupErrors: sum((r) => r.warmupErrors),
    latencyMs: summarize(overall),
    byType,
    responseCodes,
    push: {
      expected: sum((r) => r.push.expected),
      received: sum((r) => r.push.received),
      missing: sum((r) => r.push.missing),
      bad: sum((r) => r.push.bad),
      latencyMs: summarize(mergeEncoded(rs.map((r) => r.push.histogram))),
    },
    generatorLagMs: summarize(mergeEncoded(rs.map((r) => r.lag))),
    serviceMs: summarize(mergeEncoded(rs.map((r) => r.service))),
    generatorCpuUsPerTx: completedInWindow > 0 ? round1(sum((r) => r.generatorCpuUs) / completedInWindow) : 0,
    timeline,
    secondsP99Ms: secondsP99(timeline, input.warmupMs / 1000),
  };
  if (input.server) {
    const { pid, start, end, idleCpuPercent } = input.server;
    summary.server = serverSummary(pid, start, end, completedInWindow, idleCpuPercent);
  }
  if (input.machine && completedInWindow > 0) {
    summary.cpuBudget = cpuBudget(input, summary, completedInWindow);
  }
  return { summary, overall, byType: byTypeHist };
}

/** The server's CPU and run-queue wait between two samples a second apart, % of that time. */
function serverSecond(a: ProcSample | undefined, b: ProcSample | undefined): Partial<SecondSummary> {
  if (!a || !b || b.at <= a.at) return {};
  const wallUs = (b.at - a.at) * 1000;
  const out: Partial<SecondSummary> = { serverCpuPercent: round1((100 * (b.cpuUs - a.cpuUs)) / wallUs) };
  const wait = runQueueShare(a, b);
  if (wait !== undefined) out.serverRunQueuePercent = wait;
  return out;
}

/** The main threads' run-queue wait between two samples, % of the wall time between them. */
function runQueueShare(a: ProcSample, b: ProcSample): number | undefined {
  if (a.runQueueUs === undefined || b.runQueueUs === undefined || b.at <= a.at) return undefined;
  return round1((100 * Math.max(0, b.runQueueUs - a.runQueueUs)) / ((b.at - a.at) * 1000));
}

function cpuBudget(input: MergeInput, summary: RunSummary, transactions: number): CpuBudget {
  const { cores, start, end } = input.machine!;
  const perTx = (us: number) => round1(us / transactions);
  const usPerTx: Record<string, number> = {};
  let known = 0;
  if (input.server) {
    const us = input.server.end.cpuUs - input.server.start.cpuUs;
    usPerTx.server = perTx(us);
    known += us;
  }
  for (const p of input.parties ?? []) {
    const us = p.end.cpuUs - p.start.cpuUs;
    usPerTx[p.name] = perTx(us);
    known += us;
  }
  usPerTx.generators = summary.generatorCpuUsPerTx;
  known += summary.generatorCpuUsPerTx * transactions;
  const busy = end.busyUs - start.busyUs;
  usPerTx.machine = perTx(busy);
  usPerTx.other = perTx(Math.max(0, busy - known));
  const total = end.totalUs - start.totalUs;
  const budget: CpuBudget = {
    cores,
    machineBusyPercent: total > 0 ? round1((100 * busy) / total) : 0,
    stealPercent: total > 0 ? round1((100 * (end.stealUs - start.stealUs)) / total) : 0,
    usPerTx,
  };
  const waits: Record<string, number> = {};
  const serverWait = input.server && runQueueShare(input.server.start, input.server.end);
  if (serverWait !== undefined) waits.server = serverWait;
  for (const p of input.parties ?? []) {
    const w = runQueueShare(p.start, p.end);
    if (w !== undefined) waits[p.name] = w;
  }
  if (Object.keys(waits).length > 0) budget.runQueueWaitPercent = waits;
  return budget;
}

export function serverSummary(
  pid: number,
  start: ProcSample,
  end: ProcSample,
  transactions: number,
  idleCpuPercent?: number,
): ServerSummary {
  const cpuUs = end.cpuUs - start.cpuUs;
  const wallUs = (end.at - start.at) * 1000;
  const out: ServerSummary = {
    pid,
    cpuUsPerTx: transactions > 0 ? round1(cpuUs / transactions) : 0,
    cpuPercent: wallUs > 0 ? round1((100 * cpuUs) / wallUs) : 0,
    rssBytes: end.rssBytes,
  };
  if (idleCpuPercent !== undefined && transactions > 0) {
    out.cpuUsPerTxNetOfIdle = round1(Math.max(0, cpuUs - (idleCpuPercent / 100) * wallUs) / transactions);
  }
  if (start.sysUs !== undefined && end.sysUs !== undefined && cpuUs > 0) {
    out.kernelPercent = round1((100 * (end.sysUs - start.sysUs)) / cpuUs);
  }
  if (start.mainThreadUs !== undefined && end.mainThreadUs !== undefined && transactions > 0) {
    out.eventLoopCpuUsPerTx = round1((end.mainThreadUs - start.mainThreadUs) / transactions);
  }
  const wait = runQueueShare(start, end);
  if (wait !== undefined) out.runQueueWaitPercent = wait;
  return out;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
