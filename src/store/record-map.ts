// A string-keyed map of records that carry their own expiry: what TtlMap (the memory store's small
// maps) is built on, and where the expiry rule lives (`Expiring`, `expiresAt`, `live`), shared with
// the big indexes (hash-index.ts), which find their records by key fields instead of key strings.
// A record may be held in several maps or indexes (an order is found by its RRN and by its request):
// it expires from all of them at once. Lazy expiry on read plus a sliced sweep; spread over shards
// (shards.ts).

import { EPOCH } from './process-epoch.js';
import { Shards } from './shards.js';

/** A record that knows when it expires. */
export interface Expiring {
  /**
   * ms after EPOCH (`expiresAt`), Infinity = never. A small integer stored in the record;
   * the field starts as null in each record kind's first literal, so V8 types it "any value" and an
   * expiry beyond the small-integer range is boxed in its own record only (process-epoch.ts).
   */
  readonly expires: number | null;
}

export class RecordMap<V extends Expiring> {
  readonly #shards: Shards<V>;

  /** `shards`: Maps the records are spread over (a power of two). */
  constructor(shards = 1) {
    this.#shards = new Shards(shards);
  }

  /** The live record for `key`; an expired one is dropped on the way (lazy expiry). */
  get(key: string, now = Date.now()): V | undefined {
    const m = this.#shards.of(key);
    const v = m.get(key);
    if (v === undefined || live(v, now)) return v;
    m.delete(key);
    return undefined;
  }

  has(key: string, now = Date.now()): boolean {
    return this.get(key, now) !== undefined;
  }

  /** Holds `record` under `key` until the record's own expiry. */
  set(key: string, record: V): void {
    this.#shards.of(key).set(key, record);
  }

  delete(key: string): boolean {
    return this.#shards.of(key).delete(key);
  }

  /** Live records, shard by shard (in insertion order within a shard). */
  *entries(now = Date.now()): IterableIterator<[string, V]> {
    const t = now - EPOCH;
    for (const kv of this.#shards.entries()) if ((kv[1].expires as number) > t) yield kv;
  }

  /** Removes expired records among the next `limit` ones, resuming where the last call stopped (shards.ts). */
  sweepSome(limit: number, now = Date.now()): boolean {
    const t = now - EPOCH;
    return this.#shards.sweepSome(limit, (v) => (v.expires as number) <= t);
  }

  sweep(now = Date.now()): number {
    const t = now - EPOCH;
    return this.#shards.sweep((v) => (v.expires as number) <= t);
  }

  get size(): number {
    return this.#shards.size;
  }

  clear(): void {
    this.#shards.clear();
  }
}

/** The expiry of a record written at `now` to live `ttlMs`, in ms after EPOCH (Infinity: never). */
export function expiresAt(ttlMs: number, now: number): number {
  return ttlMs === Number.POSITIVE_INFINITY ? ttlMs : now - EPOCH + ttlMs;
}

/** A record still live at `now` (for a record held outside its map, e.g. by another record). */
export function live(record: Expiring, now: number): boolean {
  return (record.expires as number) > now - EPOCH;
}
