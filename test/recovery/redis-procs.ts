// Redis servers owned by one test: a standalone redis-server or a 3-master Redis Cluster, each on free
// loopback ports in its own temp dir, stopped and restarted at will and torn down at the end. The
// shared redis on 6379 is never touched. Data survives a restart (append-only file, fsync always),
// as it must in production for "nothing lost".
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import { freePort as ephemeralPort } from '../helpers/ports.js';

const run = promisify(execFile);

/** A port nobody listens on now (and, for Cluster nodes, its bus port +10000 too). */
export async function freePort(withBusPort = false): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = withBusPort ? 20_000 + Math.floor(Math.random() * 20_000) : await ephemeralPort();
    if ((await isFree(port)) && (!withBusPort || (await isFree(port + 10_000)))) return port;
  }
  throw new Error('no free port found');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** One redis-cli command against the server on `port`, its output trimmed (bounded). */
export async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5_000 });
  return stdout.trim();
}

/** Polls until `redis-cli PING` answers PONG (bounded). */
async function waitPong(port: number, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if ((await cli(port, 'PING').catch(() => '')) === 'PONG') return;
    await sleep(50);
  }
  throw new Error(`redis on ${port} did not answer within ${ms} ms`);
}

export class RedisProc {
  private proc: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'bf-redis-'));

  constructor(
    readonly port: number,
    private readonly extra: string[] = [],
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  async start(): Promise<void> {
    if (this.proc) return;
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--daemonize',
      'no',
      '--loglevel',
      'warning',
      ...this.extra,
    ];
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    this.proc = proc;
    proc.once('exit', () => {
      if (this.proc === proc) this.proc = undefined;
    });
    await waitPong(this.port);
  }

  /** Stops the server with `signal` (SIGKILL: a crash; what was acknowledged is on disk anyway). */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    await Promise.race([exited, sleep(5_000)]);
    this.proc = undefined;
  }

  /** SIGSTOP: the server keeps its connections but answers nothing (a hung Redis). */
  pause(): void {
    this.proc?.kill('SIGSTOP');
  }

  resume(): void {
    this.proc?.kill('SIGCONT');
  }

  async destroy(): Promise<void> {
    this.resume();
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** One standalone server on a free port. */
export async function startRedis(): Promise<RedisProc> {
  const r = new RedisProc(await freePort());
  await r.start();
  return r;
}

export interface RedisCluster {
  nodes: RedisProc[];
  /** `redis+cluster://h:p,h:p,h:p` for createStore / --store. */
  url: string;
  destroy(): Promise<void>;
}

/** Three masters, no replicas: `redis-server --cluster-enabled yes` ×3, then `redis-cli --cluster create`. */
export async function startCluster(): Promise<RedisCluster> {
  const nodes: RedisProc[] = [];
  for (let i = 0; i < 3; i++) {
    const port = await freePort(true);
    const node = new RedisProc(port, ['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000']);
    nodes.push(node);
  }
  const destroy = async () => {
    await Promise.all(nodes.map((n) => n.destroy()));
  };
  try {
    await Promise.all(nodes.map((n) => n.start()));
    const addrs = nodes.map((n) => `127.0.0.1:${n.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 30_000,
    });
    const until = Date.now() + 20_000;
    for (const n of nodes) {
      while (!(await cli(n.port, 'CLUSTER', 'INFO').catch(() => '')).includes('cluster_state:ok')) {
        if (Date.now() > until) throw new Error('cluster did not reach cluster_state:ok');
        await sleep(100);
      }
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return { nodes, url: `redis+cluster://${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`, destroy };
}
