// A Map whose entries expire, for the memory store's small maps (session keys, counters, leases):
// lazy expiry on read plus a periodic sweep (driven by MemoryStore) so that idle keys do not pile up.
// Each value is wrapped with its expiry; the big maps of orders and requests keep records that carry
// their own (record-map.ts).

import { EPOCH } from './process-epoch.js';
import { Shards } from './shards.js';

interface Entry<V> {
  value: V;
  /**
   * Expiry, ms after EPOCH (a small integer, no HeapNumber per entry); Infinity = none. Typed "any
   * value" by V8, not "number" (see newEntry).
   */
  at: number | null;
}

/**
 * Entries are made by one object literal, not `new`: V8 tracks a literal's allocation site and, once
 * most of its objects outlive a scavenge, allocates them in the old generation directly, so entries
 * kept for days are not copied by two scavenges first (constructed objects are never pretenured).
 */
function newEntry<V>(value: V, at: number | null): Entry<V> {
  return { value, at };
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
  readonly #shards: Shards<Entry<V>>;

  constructor(opts: TtlMapOptions = {}) {
    this.#shards = new Shards(opts.shards ?? 1);
  }

  /** The live entry for `key`; an expired one is dropped on the way (lazy expiry). */
  #live(key: string, now: number): Entry<V> | undefined {
    const m = this.#shards.of(key);
    const e = m.get(key);
    if (e === undefined || (e.at as number) > now - EPOCH) return e;
    m.delete(key);
    return undefined;
  }

  get(key: string, now = Date.now()): V | undefined {
    return this.#live(key, now)?.value;
  }

  has(key: string, now = Date.now()): boolean {
    return this.get(key, now) !== undefined;
  }

  /**
   * The live value with its expiry moved to `ttlMs` from now, or undefined when absent: one lookup
   * where a get and a set would take two (and a new entry).
   */
  touch(key: string, ttlMs: number, now = Date.now()): V | undefined {
    const e = this.#live(key, now);
    if (e === undefined) return undefined;
    e.at = expiresAt(ttlMs, now);
    return e.value;
  }

  set(key: string, value: V, ttlMs: number, now = Date.now()): void {
    this.#shards.of(key).set(key, newEntry(value, expiresAt(ttlMs, now)));
  }

  /** Replace the value, keeping the expiry (like Redis `SET … KEEPTTL`); false when absent. */
  update(key: string, value: V, now = Date.now()): boolean {
    const e = this.#shards.of(key).get(key);
    if (!e || (e.at as number) <= now - EPOCH) return false;
    e.value = value;
    return true;
  }

  /** Remaining lifetime in ms, or undefined when absent. */
  ttl(key: string, now = Date.now()): number | undefined {
    const e = this.#shards.of(key).get(key);
    if (!e || (e.at as number) <= now - EPOCH) return undefined;
    return (e.at as number) + EPOCH - now;
  }

  expire(key: string, ttlMs: number, now = Date.now()): void {
    const e = this.#shards.of(key).get(key);
    if (e) e.at = now - EPOCH + ttlMs;
  }

  delete(key: string): boolean {
    return this.#shards.of(key).delete(key);
  }

  /** Live entries, shard by shard (in insertion order within a shard). */
  *entries(now = Date.now()): IterableIterator<[string, V]> {
    const t = now - EPOCH;
    for (const [k, e] of this.#shards.entries()) if ((e.at as number) > t) yield [k, e.value];
  }

  /** Removes expired entries among the next `limit` ones, resuming where the last call stopped (shards.ts). */
  sweepSome(limit: number, now = Date.now()): boolean {
    const t = now - EPOCH;
    return this.#shards.sweepSome(limit, (e) => (e.at as number) <= t);
  }

  sweep(now = Date.now()): number {
    const t = now - EPOCH;
    return this.#shards.sweep((e) => (e.at as number) <= t);
  }

  get size(): number {
    return this.#shards.size;
  }

  clear(): void {
    this.#shards.clear();
  }
}

/** The expiry of an entry or record written at `now` to live `ttlMs`, in ms after EPOCH. */
export function expiresAt(ttlMs: number, now: number): number {
  return ttlMs === Number.POSITIVE_INFINITY ? ttlMs : now - EPOCH + ttlMs;
}
