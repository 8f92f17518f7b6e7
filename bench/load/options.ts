// `boxfep bench` flags → BenchOptions, validated with one clear message per mistake (BenchUsageError).

import { parseArgs } from 'node:util';
import { DEFAULT_MIX, MixError, parseMix } from './mix.js';
import { CpuListError, parseCpuList } from './placement.js';
import type { ArrivalKind } from './schedule.js';
import { WALLETS, type Wallet } from './transactions.js';

export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

export interface SweepOptions {
  from: number;
  step: number;
  max: number;
}

export interface BenchOptions {
  boxes: number;
  mode: 'open' | 'closed';
  rate: number;
  arrivals: ArrivalKind;
  concurrency: number;
  durationS: number;
  warmupS: number;
  mix: string;
  wallets: Wallet[];
  rampPerSec: number;
  target?: { host: string; port: number };
  spawn: boolean;
  store: string;
  /** Where a spawned boxfep's wallet sandboxes run: their own process (default) or inside boxfep. */
  sandboxes: 'process' | 'in-process';
  serveArgs: string[];
  serverNodeArgs: string[];
  sandboxNodeArgs: string[];
  generatorNodeArgs: string[];
  /** Pin boxfep (and the echo server of the baseline) to these CPUs (taskset list, e.g. "1"). */
  serverCpus?: string;
  /** Pin the load (generators, the wallet sandbox, this process) to these CPUs (e.g. "0"). */
  loadCpus?: string;
  /** Run the generators and the sandbox at this niceness (1–19): the server first when both want a core. */
  loadNice?: number;
  /** Target mode: sample this process's CPU and RSS. */
  pid?: number;
  baseline: 'echo' | undefined;
  sweep?: SweepOptions;
  sloP99Ms: number;
  sloP999Ms: number;
  /** Generator processes; 0 runs the generator in this process. */
  generators: number;
  replyTimeoutMs: number;
  pushGraceMs: number;
  seed: number;
  runTag?: string;
  json?: string;
  html?: string;
  hgrm?: string;
  outDir?: string;
  quiet: boolean;
  keepStoreData: boolean;
}

export const BENCH_HELP = `usage: boxfep bench (--spawn [--store URL] | --target HOST:PORT) [options]
  --boxes N              simulated boxes, one connection and terminal each (default 10000)
  --rate R               open loop: total transactions per second (default 2000)
  --arrivals KIND        constant | poisson (default poisson)
  --mode MODE            open (default) | closed (R ignored; --concurrency requests always outstanding)
  --concurrency C        closed loop: outstanding requests in all (default 64)
  --duration S           measured seconds (default 60)      --warmup S   unmeasured seconds first (default 10)
  --mix SPEC             default ${DEFAULT_MIX}
  --wallets LIST         wallets for sales and precreates: WX,AL,UP (default all three)
  --ramp R               new connections per second while the fleet connects (default 2000)
  --spawn                start boxfep (dist/src/cli/main.js serve) as a child and sample its CPU and RSS
  --store URL            store of the spawned boxfep: memory (default) | redis://127.0.0.1:6379
  --sandboxes WHERE      wallet sandboxes of a spawned boxfep: process (default: \`boxfep sandbox\` as its own
                         process, so the server's CPU is boxfep's own) | in-process (serve --sandbox)
  --serve-arg ARG        extra flag for the spawned serve (repeatable, e.g. --serve-arg=--crypto=inline)
  --server-node-arg ARG  extra node flag for the spawned serve (repeatable, e.g. --server-node-arg=--cpu-prof)
  --sandbox-node-arg ARG extra node flag for the spawned sandbox process (repeatable, e.g. --sandbox-node-arg=--trace-gc)
  --generator-node-arg ARG  node flag for the generator processes (repeatable; default --max-semi-space-size=32)
  --server-cpus LIST     pin the spawned boxfep and the echo baseline to these CPUs (taskset list, e.g. 1)
  --load-cpus LIST       pin the generators, the wallet sandbox and this process to these CPUs (e.g. 0)
  --load-nice N          run the generators and the wallet sandbox at niceness N (1-19)
  --target HOST:PORT     a running boxfep whose terminals match the fleet (see --out/terminals.json)
  --pid PID              with --target: sample this process's CPU and RSS
  --baseline echo        also run the same connections and rate against a frame-echo server, report ratios
  --sweep                step the rate up until the SLO fails: --sweep-from R --sweep-step R --sweep-max R
  --slo-p99 MS           SLO p99 (default 10)   --slo-p999 MS   SLO p99.9 (default 30); and zero errors
  --generators K         load generator processes (default ceil(boxes / 8000); 0 = this process)
  --reply-timeout-ms MS  a reply later than this is an error (default 10000)
  --push-grace-ms MS     wait this long after the run for C2B pushes (default 20000:
                         UnionPay C2B results are polled, every 15 s by default)
  --seed N               arrivals, mix and codes are drawn from this seed (default 1)
  --run-tag XY           two characters in every TID/MID of this run (default random)
  --out DIR              write report.json, report.html, *.hgrm, terminals.json and server.log here
  --json FILE  --html FILE  --hgrm PREFIX   individual report files
  --keep-store-data      do not delete this run's keys from a Redis store afterwards
  --quiet                no progress line
`;

const FLAGS = {
  help: { type: 'boolean', short: 'h' },
  boxes: { type: 'string' },
  rate: { type: 'string' },
  arrivals: { type: 'string' },
  mode: { type: 'string' },
  concurrency: { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  mix: { type: 'string' },
  wallets: { type: 'string' },
  ramp: { type: 'string' },
  spawn: { type: 'boolean' },
  store: { type: 'string' },
  sandboxes: { type: 'string' },
  'serve-arg': { type: 'string', multiple: true },
  'server-node-arg': { type: 'string', multiple: true },
  'sandbox-node-arg': { type: 'string', multiple: true },
  'generator-node-arg': { type: 'string', multiple: true },
  'server-cpus': { type: 'string' },
  'load-cpus': { type: 'string' },
  'load-nice': { type: 'string' },
  target: { type: 'string' },
  pid: { type: 'string' },
  baseline: { type: 'string' },
  sweep: { type: 'boolean' },
  'sweep-from': { type: 'string' },
  'sweep-step': { type: 'string' },
  'sweep-max': { type: 'string' },
  'slo-p99': { type: 'string' },
  'slo-p999': { type: 'string' },
  generators: { type: 'string' },
  'reply-timeout-ms': { type: 'string' },
  'push-grace-ms': { type: 'string' },
  seed: { type: 'string' },
  'run-tag': { type: 'string' },
  out: { type: 'string' },
  json: { type: 'string' },
  html: { type: 'string' },
  hgrm: { type: 'string' },
  'keep-store-data': { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

/** A checked CPU list for taskset, or undefined when the flag is absent. */
function cpuList(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    parseCpuList(value);
  } catch (err) {
    if (err instanceof CpuListError) throw new BenchUsageError(`--${flag}: ${err.message}`);
    throw err;
  }
  return value;
}

function num(v: string | undefined, name: string, dflt: number, min: number, max: number, integer = true): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new BenchUsageError(`--${name} must be ${integer ? 'an integer' : 'a number'}, got '${v}'`);
  }
  if (n < min || n > max) throw new BenchUsageError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function parseTarget(v: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(v);
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65535) throw new BenchUsageError(`--target must be HOST:PORT, got '${v}'`);
  const host = m[1].replace(/^\[|\]$/g, '');
  return { host, port };
}

/** Returns undefined for --help (the caller prints BENCH_HELP). */
export function parseBenchArgs(argv: string[]): BenchOptions | undefined {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    values = parseArgs({ args: argv, options: FLAGS, allowPositionals: false, strict: true }).values;
  } catch (err) {
    throw new BenchUsageError((err as Error).message);
  }
  if (values.help) return undefined;
  const s = (k: string) => values[k] as string | undefined;
  const spawn = values.spawn === true;
  const target = s('target') === undefined ? undefined : parseTarget(s('target')!);
  if (spawn === (target !== undefined)) throw new BenchUsageError('give exactly one of --spawn or --target HOST:PORT');
  if (!spawn && s('store') !== undefined) throw new BenchUsageError('--store is for --spawn (a target has its own)');
  const sandboxes = (s('sandboxes') ?? 'process') as BenchOptions['sandboxes'];
  if (sandboxes !== 'process' && sandboxes !== 'in-process')
    throw new BenchUsageError('--sandboxes must be process or in-process');
  if (!spawn && s('sandboxes') !== undefined) throw new BenchUsageError('--sandboxes is for --spawn');
  const mode = (s('mode') ?? 'open') as BenchOptions['mode'];
  if (mode !== 'open' && mode !== 'closed') throw new BenchUsageError(`--mode must be open or closed`);
  const arrivals = (s('arrivals') ?? 'poisson') as ArrivalKind;
  if (arrivals !== 'constant' && arrivals !== 'poisson')
    throw new BenchUsageError('--arrivals must be constant or poisson');
  const mix = s('mix') ?? DEFAULT_MIX;
  try {
    parseMix(mix);
  } catch (err) {
    if (err instanceof MixError) throw new BenchUsageError(`--mix: ${err.message}`);
    throw err;
  }
  const wallets = (s('wallets') ?? WALLETS.join(','))
    .split(',')
    .map((w) => w.trim().toUpperCase())
    .filter((w) => w !== '');
  for (const w of wallets) {
    if (!(WALLETS as readonly string[]).includes(w)) throw new BenchUsageError(`--wallets: unknown wallet '${w}'`);
  }
  if (wallets.length === 0) throw new BenchUsageError('--wallets needs at least one wallet');
  const baseline = s('baseline');
  if (baseline !== undefined && baseline !== 'echo') throw new BenchUsageError(`--baseline supports only 'echo'`);
  const boxes = num(s('boxes'), 'boxes', 10_000, 1, 99_999);
  const runTag = s('run-tag');
  if (runTag !== undefined && !/^[A-Z0-9]{2}$/.test(runTag))
    throw new BenchUsageError('--run-tag must be two of A-Z0-9');
  const sweep = values.sweep
    ? {
        from: num(s('sweep-from'), 'sweep-from', 500, 1, 1_000_000, false),
        step: num(s('sweep-step'), 'sweep-step', 500, 1, 1_000_000, false),
        max: num(s('sweep-max'), 'sweep-max', 20_000, 1, 1_000_000, false),
      }
    : undefined;
  if (sweep && mode !== 'open') throw new BenchUsageError('--sweep steps an open-loop rate: not with --mode closed');
  if (sweep && baseline) throw new BenchUsageError('--baseline compares one rate: not with --sweep');
  const pid = s('pid') === undefined ? undefined : num(s('pid'), 'pid', 0, 1, 2 ** 22);
  if (pid !== undefined && spawn)
    throw new BenchUsageError('--pid is for --target (a spawned boxfep is sampled anyway)');
  const replyTimeoutMs = num(s('reply-timeout-ms'), 'reply-timeout-ms', 10_000, 100, 600_000);
  const serverCpus = cpuList(s('server-cpus'), 'server-cpus');
  const loadCpus = cpuList(s('load-cpus'), 'load-cpus');
  if (serverCpus && !spawn) throw new BenchUsageError('--server-cpus is for --spawn (pin a running boxfep yourself)');
  if (serverCpus && loadCpus) {
    const load = new Set(parseCpuList(loadCpus));
    const shared = parseCpuList(serverCpus).filter((c) => load.has(c));
    if (shared.length > 0) throw new BenchUsageError(`--server-cpus and --load-cpus share CPU ${shared.join(',')}`);
  }
  return {
    boxes,
    mode,
    rate: num(s('rate'), 'rate', 2000, 0.1, 1_000_000, false),
    arrivals,
    concurrency: num(s('concurrency'), 'concurrency', 64, 1, 100_000),
    durationS: num(s('duration'), 'duration', 60, 0.1, 3600, false),
    warmupS: num(s('warmup'), 'warmup', 10, 0, 600, false),
    mix,
    wallets: wallets as Wallet[],
    rampPerSec: num(s('ramp'), 'ramp', 2000, 1, 100_000),
    target,
    spawn,
    store: s('store') ?? 'memory',
    sandboxes,
    serveArgs: (values['serve-arg'] as string[] | undefined) ?? [],
    serverNodeArgs: (values['server-node-arg'] as string[] | undefined) ?? [],
    sandboxNodeArgs: (values['sandbox-node-arg'] as string[] | undefined) ?? [],
    // A larger young generation: fewer scavenges of the generator's short-lived request objects
    // (measured: generator lag p99 111 → 50 ms at 2,000/s on this machine).
    generatorNodeArgs: (values['generator-node-arg'] as string[] | undefined) ?? ['--max-semi-space-size=32'],
    serverCpus,
    loadCpus,
    loadNice: s('load-nice') === undefined ? undefined : num(s('load-nice'), 'load-nice', 0, 1, 19),
    pid,
    baseline: baseline as 'echo' | undefined,
    sweep,
    sloP99Ms: num(s('slo-p99'), 'slo-p99', 10, 0.001, 600_000, false),
    sloP999Ms: num(s('slo-p999'), 'slo-p999', 30, 0.001, 600_000, false),
    generators: num(s('generators'), 'generators', Math.ceil(boxes / 8000), 0, 16),
    replyTimeoutMs,
    pushGraceMs: num(s('push-grace-ms'), 'push-grace-ms', 20_000, 0, 120_000),
    seed: num(s('seed'), 'seed', 1, 0, 2 ** 31),
    runTag,
    json: s('json'),
    html: s('html'),
    hgrm: s('hgrm'),
    outDir: s('out'),
    quiet: values.quiet === true,
    keepStoreData: values['keep-store-data'] === true,
  };
}
