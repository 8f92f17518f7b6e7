// `--spawn`: boxfep started as its own process (`node dist/src/cli/main.js serve …`) on loopback with
// the fleet's terminals file and the chosen store, on a box port picked here; it is ready when that
// port accepts. Its log goes to a file; its CPU time and RSS are sampled from /proc during the run.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, createWriteStream, openSync, readFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SANDBOX_ACCOUNTS } from '../../src/runtime/wallets.js';
import { type Placement, placedCommand } from './placement.js';

/** dist/src/cli/main.js, found from dist/bench/load/. */
export const CLI_PATH = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

export interface SpawnOptions {
  store: string;
  terminalsFile: string;
  logFile: string;
  maxConnections: number;
  /** Extra `serve` flags (e.g. --crypto inline). */
  serveArgs: string[];
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs: string[];
  readyTimeoutMs: number;
  /** Run it on these CPUs only (taskset list); anywhere when undefined. */
  cpus?: string;
}

export interface SpawnedServer {
  readonly pid: number;
  readonly port: number;
  readonly adminPort: number | undefined;
  stop(): Promise<number | null>;
}

export class SpawnError extends Error {
  override name = 'SpawnError';
}

/** A free loopback port (bound and released): boxfep's box port, so readiness needs no log line. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = tcpConnect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export async function spawnBoxfep(opts: SpawnOptions): Promise<SpawnedServer> {
  const port = await freePort();
  const args = [
    ...opts.nodeArgs,
    CLI_PATH,
    'serve',
    '--host',
    '127.0.0.1',
    '--box-port',
    String(port),
    '--admin-port',
    '0',
    '--notify-port',
    '0',
    '--store',
    opts.store,
    '--terminals',
    opts.terminalsFile,
    '--max-connections',
    String(opts.maxConnections),
    '--max-connections-per-address',
    String(opts.maxConnections),
    '--idle-timeout-ms',
    '3600000',
    ...opts.serveArgs,
  ];
  const log = openSync(opts.logFile, 'w');
  let child: ChildProcess;
  try {
    const run = placedCommand({ cpus: opts.cpus }, process.execPath, args);
    child = spawn(run.command, run.args, {
      stdio: ['ignore', log, log],
      env: { BOXFEP_LOG_LEVEL: 'info', ...process.env, BOXFEP_LMK: randomBytes(32).toString('hex') },
    });
  } finally {
    closeSync(log);
  }
  // boxfep must not outlive the harness, however the harness ends.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then(() => process.off('exit', killOnExit));
  let exitCode: number | null | undefined;
  void exited.then((c) => {
    exitCode = c;
  });
  const deadline = performance.now() + opts.readyTimeoutMs;
  while (performance.now() < deadline) {
    if (exitCode !== undefined) {
      throw new SpawnError(`boxfep exited (${exitCode}) before serving; see ${opts.logFile}:\n${tail(opts.logFile)}`);
    }
    if (await canConnect(port)) {
      const pid = child.pid!;
      // The box port accepts before the `boxfep serving` line (which names the admin port) is written.
      let serving = findServing(opts.logFile);
      for (let i = 0; serving === undefined && i < 100 && performance.now() < deadline; i++) {
        await new Promise((r) => setTimeout(r, 20));
        serving = findServing(opts.logFile);
      }
      return {
        pid,
        port,
        adminPort: serving?.adminPort,
        stop: async () => {
          if (exitCode !== undefined) return exitCode;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
          const code = await exited;
          clearTimeout(timer);
          return code;
        },
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new SpawnError(`boxfep did not report serving within ${opts.readyTimeoutMs} ms; see ${opts.logFile}`);
}

/** The box port from boxfep's JSON log line `{"msg":"boxfep serving","box":[port],...}`. */
export function findServing(logFile: string): { port: number; adminPort?: number } | undefined {
  let text: string;
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    if (!line.includes('boxfep serving')) continue;
    try {
      const o = JSON.parse(line) as { box?: number[]; admin?: number };
      if (Array.isArray(o.box) && typeof o.box[0] === 'number') return { port: o.box[0], adminPort: o.admin };
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

export interface SpawnedSandbox {
  readonly pid: number;
  /** The JSON line `boxfep sandbox` printed: wallet endpoints and keys. */
  readonly endpoints: Record<string, Record<string, unknown>>;
  stop(): Promise<void>;
}

/**
 * `boxfep sandbox` as its own process: the wallet simulators then do not share boxfep's event loop
 * or its CPU count, so the server's CPU per transaction is boxfep's own. Ready when it prints its
 * JSON line (endpoints and keys); its stderr goes to `logFile`.
 */
export async function spawnSandbox(
  logFile: string,
  nodeArgs: readonly string[] = [],
  readyTimeoutMs = 30_000,
  place: Placement = {},
): Promise<SpawnedSandbox> {
  const log = openSync(logFile, 'w');
  let child: ChildProcess;
  try {
    const run = placedCommand(place, process.execPath, [...nodeArgs, CLI_PATH, 'sandbox', '--host', '127.0.0.1']);
    child = spawn(run.command, run.args, {
      stdio: ['ignore', 'pipe', log],
    });
  } finally {
    closeSync(log);
  }
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => process.off('exit', killOnExit));
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new SpawnError(`boxfep sandbox printed no endpoints within ${readyTimeoutMs} ms; see ${logFile}`));
    }, readyTimeoutMs);
    child.stdout!.setEncoding('utf8');
    const onData = (chunk: string) => {
      buf += chunk;
      // Node flags such as --trace-gc print to stdout too: the endpoints are the first JSON line.
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const candidate = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (candidate.startsWith('{')) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve(candidate);
          return;
        }
        appendFileSync(logFile, `${candidate}\n`);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new SpawnError(`boxfep sandbox exited (${code}) before printing endpoints; see ${logFile}`));
    });
  });
  // Keep draining stdout into the log (GC traces and the like) so the sandbox never blocks on a full pipe.
  child.stdout!.pipe(createWriteStream(logFile, { flags: 'a' }));
  let endpoints: SpawnedSandbox['endpoints'];
  try {
    endpoints = JSON.parse(line) as SpawnedSandbox['endpoints'];
  } catch {
    child.kill('SIGKILL');
    throw new SpawnError(`boxfep sandbox printed no JSON: ${line.slice(0, 200)}`);
  }
  return {
    pid: child.pid!,
    endpoints,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * `serve --wallets FILE` content for a spawned sandbox: its printed endpoints, each wallet with the
 * sandbox's service-provider account as the default (the bench's merchants have no wallet accounts
 * of their own, so without it every sale would be refused `03`).
 */
export function walletsFileFor(endpoints: SpawnedSandbox['endpoints']): string {
  const doc: Record<string, unknown> = {};
  if (endpoints.wechat) doc.wechat = { ...endpoints.wechat, account: SANDBOX_ACCOUNTS.WX };
  if (endpoints.alipay) doc.alipay = { ...endpoints.alipay, account: SANDBOX_ACCOUNTS.AL };
  if (endpoints.unionpay) doc.unionpay = { ...endpoints.unionpay, account: SANDBOX_ACCOUNTS.UP };
  return JSON.stringify(doc);
}
