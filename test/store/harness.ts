// Backends for the shared store suite: memory, a real Redis on 127.0.0.1:6379, and a one-node Redis
// Cluster the tests start themselves (it enforces CROSSSLOT exactly as a big cluster does). Every Redis
// store gets its own key prefix; cleanup deletes those keys and nothing else.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createStore, type Store, type StoreOptions } from '../../src/store/store.js';
import { freePort } from '../helpers/ports.js';
import { deleteRedisKeys, REDIS_URL } from '../helpers/redis.js';

export { freePort };

export interface StoreHarness {
  readonly name: string;
  /** A fresh, empty store (own key prefix on Redis). */
  make(opts?: StoreOptions): Store;
  /** Direct client to the server, for PTTL checks; undefined for memory. */
  readonly admin?: Redis;
  /** The store URL `make()` uses; undefined for memory. */
  readonly url?: string;
  /** The prefix the last `make()` used. */
  lastPrefix?: string;
  cleanup(): Promise<void>;
}

export function memoryHarness(): StoreHarness {
  const stores: Store[] = [];
  return {
    name: 'memory',
    make(opts) {
      const s = createStore('memory', opts);
      stores.push(s);
      return s;
    },
    async cleanup() {
      await Promise.all(stores.map((s) => s.close()));
    },
  };
}

export { REDIS_URL };

export function redisHarness(url = REDIS_URL, name = 'redis', adminPort = 6379): StoreHarness {
  const stores: Store[] = [];
  const prefixes: string[] = [];
  const admin = new Redis({ host: '127.0.0.1', port: adminPort, lazyConnect: false, maxRetriesPerRequest: 1 });
  const run = randomBytes(4).toString('hex');
  const h: StoreHarness = {
    name,
    admin,
    url,
    make(opts) {
      const prefix = `bftest:${run}:${prefixes.length}:`;
      prefixes.push(prefix);
      h.lastPrefix = prefix;
      const s = createStore(url, { keyPrefix: prefix, ...opts });
      stores.push(s);
      return s;
    },
    async cleanup() {
      await Promise.all(stores.map((s) => s.close()));
      for (const prefix of prefixes) await deleteRedisKeys(prefix, admin);
      admin.disconnect();
    },
  };
  return h;
}

export interface RedisProcess {
  port: number;
  stop(): Promise<void>;
}

/** Starts a private redis-server on a free loopback port (optionally as a one-node cluster). */
export async function startRedisServer(opts: { cluster?: boolean; port?: number } = {}): Promise<RedisProcess> {
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'bf-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  if (opts.cluster)
    args.push(
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, 'nodes.conf'),
      '--cluster-announce-ip',
      '127.0.0.1',
    );
  const child: ChildProcess = spawn('redis-server', args, { stdio: 'ignore' });
  const client = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await client.connect();
      break;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  if (opts.cluster) {
    await client.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    while (!String(await client.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) {
      if (Date.now() > deadline) throw new Error('cluster did not become ok');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  client.disconnect();
  return {
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
