// A map spread over n Maps by a hash of the key, with a sweep that goes in slices: what the memory
// store's expiring maps are built on (record-map.ts and ttl-map.ts, keyed by strings; hash-index.ts,
// keyed by a hash it computes itself).
//
// The memory store keeps every request and order for days, so its big maps reach millions of
// entries. A JavaScript Map doubles its table when full and copies every entry while doing so, in
// one step: 70 ms at 1 M string keys, 165 ms at 2 M, and the orders and request maps grow in
// lockstep, so they double in the same call. A Map also holds at most 2^24 entries (then `set`
// throws). Spreading the keys over n Maps, each doubling copies 1/n of the entries, at a different
// moment per shard, and the bound becomes n × 2^24.

export class Shards<E, K extends string | number = string> {
  readonly #maps: Map<K, E>[];
  readonly #mask: number;
  /** Where the sliced sweep (sweepSome) goes on from: a shard and an iterator over it. */
  #cursorShard = 0;
  #cursor: IterableIterator<[K, E]> | undefined;

  /** `n` Maps (a power of two); 1 = one plain Map, no hashing. */
  constructor(n = 1) {
    if (!Number.isInteger(n) || n < 1 || (n & (n - 1)) !== 0)
      throw new RangeError(`shards must be a power of two: ${n}`);
    this.#maps = Array.from({ length: n }, () => new Map<K, E>());
    this.#mask = n - 1;
  }

  /** The Map holding a string `key`: FNV-1a over the key's code units picks it. */
  of(key: string): Map<K, E> {
    if (this.#mask === 0) return this.#maps[0];
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    return this.#maps[(h >>> 0) & this.#mask];
  }

  /** The Map holding a key that is itself a well-mixed hash (hash-index.ts): its low bits pick it. */
  byHash(hash: number): Map<K, E> {
    return this.#maps[hash & this.#mask];
  }

  /** Every entry, shard by shard (in insertion order within a shard). */
  *entries(): IterableIterator<[K, E]> {
    for (const m of this.#maps) yield* m;
  }

  /**
   * Removes the entries `expired` says are, among the next `limit` ones, continuing where the
   * previous call stopped (a Map iterator stays valid while entries come and go), so a large map is
   * swept in slices instead of one long pause. Returns true once a round over all shards has finished.
   */
  sweepSome(limit: number, expired: (e: E) => boolean): boolean {
    for (let i = 0; i < limit; i++) {
      const m = this.#maps[this.#cursorShard];
      this.#cursor ??= m.entries();
      const step = this.#cursor.next();
      if (step.done) {
        this.#cursor = undefined;
        this.#cursorShard++;
        if (this.#cursorShard === this.#maps.length) {
          this.#cursorShard = 0;
          return true;
        }
        continue;
      }
      if (expired(step.value[1])) m.delete(step.value[0]);
    }
    return false;
  }

  /** Removes every entry `expired` says is, in one go; returns how many. */
  sweep(expired: (e: E) => boolean): number {
    let n = 0;
    for (const m of this.#maps) {
      for (const [k, e] of m) {
        if (expired(e)) {
          m.delete(k);
          n++;
        }
      }
    }
    return n;
  }

  get size(): number {
    let n = 0;
    for (const m of this.#maps) n += m.size;
    return n;
  }

  clear(): void {
    for (const m of this.#maps) m.clear();
    this.#cursor = undefined;
    this.#cursorShard = 0;
  }
}
