// A Map whose entries expire, for the memory store: lazy expiry on read plus a periodic sweep
// (driven by MemoryStore) so that idle keys do not pile up.

interface Entry<V> {
  value: V;
  /** Epoch ms; Infinity = no expiry. */
  expiresAt: number;
}

export class TtlMap<V> {
  readonly #entries = new Map<string, Entry<V>>();
  /** Where the sliced sweep (sweepSome) goes on from. */
  #cursor: IterableIterator<[string, Entry<V>]> | undefined;

  get(key: string, now = Date.now()): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  has(key: string, now = Date.now()): boolean {
    return this.get(key, now) !== undefined;
  }

  /**
   * The live value with its expiry moved to `ttlMs` from now, or undefined when absent: one lookup
   * where a get and a set would take two (and a new entry).
   */
  touch(key: string, ttlMs: number, now = Date.now()): V | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    e.expiresAt = expiry(ttlMs, now);
    return e.value;
  }

  set(key: string, value: V, ttlMs: number, now = Date.now()): void {
    this.#entries.set(key, { value, expiresAt: expiry(ttlMs, now) });
  }

  /** Replace the value, keeping the expiry (like Redis `SET … KEEPTTL`); false when absent. */
  update(key: string, value: V, now = Date.now()): boolean {
    const e = this.#entries.get(key);
    if (!e || e.expiresAt <= now) return false;
    e.value = value;
    return true;
  }

  /** Remaining lifetime in ms, or undefined when absent. */
  ttl(key: string, now = Date.now()): number | undefined {
    const e = this.#entries.get(key);
    if (!e || e.expiresAt <= now) return undefined;
    return e.expiresAt - now;
  }

  expire(key: string, ttlMs: number, now = Date.now()): void {
    const e = this.#entries.get(key);
    if (e) e.expiresAt = now + ttlMs;
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  *entries(now = Date.now()): IterableIterator<[string, V]> {
    for (const [k, e] of this.#entries) if (e.expiresAt > now) yield [k, e.value];
  }

  /**
   * Removes expired entries among the next `limit` ones, continuing where the previous call stopped
   * (a Map iterator stays valid while entries come and go), so a large map is swept in slices
   * instead of one long pause. Returns true once a round over the whole map has finished.
   */
  sweepSome(limit: number, now = Date.now()): boolean {
    this.#cursor ??= this.#entries.entries();
    for (let i = 0; i < limit; i++) {
      const step = this.#cursor.next();
      if (step.done) {
        this.#cursor = undefined;
        return true;
      }
      if (step.value[1].expiresAt <= now) this.#entries.delete(step.value[0]);
    }
    return false;
  }

  sweep(now = Date.now()): number {
    let n = 0;
    for (const [k, e] of this.#entries) {
      if (e.expiresAt <= now) {
        this.#entries.delete(k);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.#entries.size;
  }

  clear(): void {
    this.#entries.clear();
    this.#cursor = undefined;
  }
}

function expiry(ttlMs: number, now: number): number {
  return ttlMs === Number.POSITIVE_INFINITY ? ttlMs : now + ttlMs;
}
