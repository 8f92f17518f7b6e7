// createStore: one URL picks the backend, so `boxfep serve --store redis://…` is all an operator sets.
import { StoreInputError } from './errors.js';
import { MemoryStore, type MemoryStoreOptions } from './memory.js';
import { RedisStore, type RedisStoreOptions } from './redis.js';
import type { Store } from './store.js';

export interface StoreOptions extends MemoryStoreOptions, RedisStoreOptions {}

/**
 * `memory` (embedded, single node), `redis://[user:pass@]host:port[/db]` or `rediss://…` (one server),
 * or `redis+cluster://host:port,host:port` (seed nodes of a Redis Cluster).
 */
export function createStore(url: string, opts: StoreOptions = {}): Store {
  if (url === 'memory' || url === 'memory://') return new MemoryStore(opts);
  if (/^rediss?:\/\//.test(url)) return new RedisStore({ url }, opts);
  if (url.startsWith('redis+cluster://')) return new RedisStore({ clusterNodes: parseClusterNodes(url) }, opts);
  throw new StoreInputError(`unsupported store URL (expected memory, redis:// or redis+cluster://): ${url}`);
}

export function parseClusterNodes(url: string): { host: string; port: number }[] {
  const list = url.slice('redis+cluster://'.length).replace(/\/$/, '');
  const nodes = list.split(',').map((hp) => {
    const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(hp.trim());
    const port = Number(m?.[2]);
    if (!m || port < 1 || port > 65535) throw new StoreInputError(`bad cluster node '${hp}' in ${url}`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
  });
  if (nodes.length === 0) throw new StoreInputError(`no cluster nodes in ${url}`);
  return nodes;
}
