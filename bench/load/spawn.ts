// `--spawn`: boxfep started as its own process (`node dist/src/cli/main.js serve …`) on loopback with
// the fleet's terminals file and the chosen store; its log goes to a file, the box port is read from
// its "boxfep serving" line, and its CPU time and RSS are sampled from /proc while the load runs.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

export async function spawnBoxfep(opts: SpawnOptions): Promise<SpawnedServer> {
  const args = [
    ...opts.nodeArgs,
    CLI_PATH,
    'serve',
    '--host',
    '127.0.0.1',
    '--box-port',
    '0',
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
    child = spawn(process.execPath, args, {
      stdio: ['ignore', log, log],
      env: { BOXFEP_LOG_LEVEL: 'info', ...process.env, BOXFEP_LMK: randomBytes(32).toString('hex') },
    });
  } finally {
    closeSync(log);
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => {
    exitCode = c;
  });
  const deadline = performance.now() + opts.readyTimeoutMs;
  while (performance.now() < deadline) {
    if (exitCode !== undefined) {
      throw new SpawnError(`boxfep exited (${exitCode}) before serving; see ${opts.logFile}:\n${tail(opts.logFile)}`);
    }
    const ready = findServing(opts.logFile);
    if (ready) {
      const pid = child.pid!;
      return {
        pid,
        port: ready.port,
        adminPort: ready.adminPort,
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
