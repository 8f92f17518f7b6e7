// A Map whose entries expire, for the memory store: lazy expiry on read plus a periodic sweep
// (driven by MemoryStore) so that idle keys do not pile up.
//
// The memory store keeps every request and order for days, so its big maps reach millions of
// entries. A JavaScript Map doubles its table when full and copies every entry while doing so, in
// one step: 70 ms at 1 M string keys, 165 ms at 2 M, and the orders and request-index maps grow in
// lockstep, so they double in the same call. A Map also holds at most 2^24 entries (then `set`
// throws). `shards: n` spreads the keys over n Maps by a hash of the key: each doubling copies 1/n of
// the entries, at a different moment per shard, and the bound becomes n × 2^24.

import { EPOCH } from './process-epoch.js';

interface Entry<V> {
  value: V;
  /**
   * Expiry, ms after EPOCH (a small integer, no HeapNumber per entry; three entries per sale are kept
   * for days); Infinity = none. Typed "any value" by V8, not "number" (see newEntry).
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
  /** Maps the keys are spread over (a power of two); 1 = one plain Map, no hashing. Default 1. */
  shards?: number;
}

export class TtlMap<V> {
  readonly #shards: Map<string, Entry<V>>[];
  readonly #mask: number;
  /** Where the sliced sweep (sweepSome) goes on from: a shard and an iterator over it. */
  #cursorShard = 0;
  #cursor: IterableIterator<[string, Entry<V>]> | undefined;

  constructor(opts: TtlMapOptions = {}) {
    const n = opts.shards ?? 1;
    if (!Number.isInteger(n) || n < 1 || (n & (n - 1)) !== 0)
      throw new RangeError(`shards must be a power of two: ${n}`);
    this.#shards = Array.from({ length: n }, () => new Map<string, Entry<V>>());
    this.#mask = n - 1;
  }

  /** The Map holding `key`: FNV-1a over the key's code units picks the shard. */
  #map(key: string): Map<string, Entry<V>> {
    if (this.#mask === 0) return this.#shards[0];
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    return this.#shards[(h >>> 0) & this.#mask];
  }

  /** The live entry for `key`; an expired one is dropped on the way (lazy expiry). */
  #live(key: string, now: number): Entry<V> | undefined {
    const m = this.#map(key);
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
    e.at = expiry(ttlMs, now);
    return e.value;
  }

  set(key: string, value: V, ttlMs: number, now = Date.now()): void {
    this.#map(key).set(key, newEntry(value, expiry(ttlMs, now)));
  }

  /** Replace the value, keeping the expiry (like Redis `SET … KEEPTTL`); false when absent. */
  update(key: string, value: V, now = Date.now()): boolean {
    const e = this.#map(key).get(key);
    if (!e || (e.at as number) <= now - EPOCH) return false;
    e.value = value;
    return true;
  }

  /** Remaining lifetime in ms, or undefined when absent. */
  ttl(key: string, now = Date.now()): number | undefined {
    const e = this.#map(key).get(key);
    if (!e || (e.at as number) <= now - EPOCH) return undefined;
    return (e.at as number) + EPOCH - now;
  }

  expire(key: string, ttlMs: number, now = Date.now()): void {
    const e = this.#map(key).get(key);
    if (e) e.at = now - EPOCH + ttlMs;
  }

  delete(key: string): boolean {
    return this.#map(key).delete(key);
  }

  /** Live entries, shard by shard (in insertion order within a shard). */
  *entries(now = Date.now()): IterableIterator<[string, V]> {
    const t = now - EPOCH;
    for (const m of this.#shards) for (const [k, e] of m) if ((e.at as number) > t) yield [k, e.value];
  }

  /**
   * Removes expired entries among the next `limit` ones, continuing where the previous call stopped
   * (a Map iterator stays valid while entries come and go), so a large map is swept in slices
   * instead of one long pause. Returns true once a round over the whole map has finished.
   */
  sweepSome(limit: number, now = Date.now()): boolean {
    const t = now - EPOCH;
    for (let i = 0; i < limit; i++) {
      const m = this.#shards[this.#cursorShard];
      this.#cursor ??= m.entries();
      const step = this.#cursor.next();
      if (step.done) {
        this.#cursor = undefined;
        this.#cursorShard++;
        if (this.#cursorShard === this.#shards.length) {
          this.#cursorShard = 0;
          return true;
        }
        continue;
      }
      if ((step.value[1].at as number) <= t) m.delete(step.value[0]);
    }
    return false;
  }

  sweep(now = Date.now()): number {
    const t = now - EPOCH;
    let n = 0;
    for (const m of this.#shards) {
      for (const [k, e] of m) {
        if ((e.at as number) <= t) {
          m.delete(k);
          n++;
        }
      }
    }
    return n;
  }

  get size(): number {
    let n = 0;
    for (const m of this.#shards) n += m.size;
    return n;
  }

  clear(): void {
    for (const m of this.#shards) m.clear();
    this.#cursor = undefined;
    this.#cursorShard = 0;
  }
}

/** The expiry of an entry written at `now`, in ms after EPOCH. */
function expiry(ttlMs: number, now: number): number {
  return ttlMs === Number.POSITIVE_INFINITY ? ttlMs : now - EPOCH + ttlMs;
}
