// A Map whose entries expire, for the memory store's small maps (session keys, counters, leases):
// each value wrapped in an entry that carries its expiry, held in a RecordMap (record-map.ts: lazy
// expiry on read plus a sliced sweep driven by MemoryStore, so that idle keys do not pile up). The
// big maps of orders and requests hold records that carry their own expiry, with no wrapper.

import { EPOCH } from './process-epoch.js';
import { type Expiring, expiresAt, RecordMap } from './record-map.js';

interface Entry<V> extends Expiring {
  value: V;
  /** Renewed in place by `touch`. */
  expires: number | null;
}

/**
 * Entries are made by one object literal, not `new`: V8 tracks a literal's allocation site and, once
 * most of its objects outlive a scavenge, allocates them in the old generation directly, so entries
 * kept for days are not copied by two scavenges first (constructed objects are never pretenured).
 */
function newEntry<V>(value: V, expires: number | null): Entry<V> {
  return { value, expires };
}
// One entry with a null expiry first: the field is then typed "any value", so an expiry beyond the
// small-integer range (35-day batch totals, Infinity, a test's clock) is boxed in its own entry only
// instead of turning the field into a boxed double in every entry (process-epoch.ts).
newEntry(undefined, null);

export interface TtlMapOptions {
  /** Maps the keys are spread over (a power of two; shards.ts); 1 = one plain Map. Default 1. */
  shards?: number;
}

export class TtlMap<V> {
  readonly #entries: RecordMap<Entry<V>>;

  constructor(opts: TtlMapOptions = {}) {
    this.#entries = new RecordMap(opts.shards ?? 1);
  }

  get(key: string, now = Date.now()): V | undefined {
    return this.#entries.get(key, now)?.value;
  }

  has(key: string, now = Date.now()): boolean {
    return this.get(key, now) !== undefined;
  }

  /**
   * The live value with its expiry moved to `ttlMs` from now, or undefined when absent: one lookup
   * where a get and a set would take two (and a new entry).
   */
  touch(key: string, ttlMs: number, now = Date.now()): V | undefined {
    const e = this.#entries.get(key, now);
    if (e === undefined) return undefined;
    e.expires = expiresAt(ttlMs, now);
    return e.value;
  }

  set(key: string, value: V, ttlMs: number, now = Date.now()): void {
    this.#entries.set(key, newEntry(value, expiresAt(ttlMs, now)));
  }

  /** Replace the value, keeping the expiry (like Redis `SET … KEEPTTL`); false when absent. */
  update(key: string, value: V, now = Date.now()): boolean {
    const e = this.#entries.get(key, now);
    if (e === undefined) return false;
    e.value = value;
    return true;
  }

  /** Remaining lifetime in ms, or undefined when absent. */
  ttl(key: string, now = Date.now()): number | undefined {
    const e = this.#entries.get(key, now);
    return e === undefined ? undefined : (e.expires as number) + EPOCH - now;
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  /** Live entries, shard by shard (in insertion order within a shard). */
  *entries(now = Date.now()): IterableIterator<[string, V]> {
    for (const [k, e] of this.#entries.entries(now)) yield [k, e.value];
  }

  /** Removes expired entries among the next `limit` ones, resuming where the last call stopped. */
  sweepSome(limit: number, now = Date.now()): boolean {
    return this.#entries.sweepSome(limit, now);
  }

  sweep(now = Date.now()): number {
    return this.#entries.sweep(now);
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
  }
}
