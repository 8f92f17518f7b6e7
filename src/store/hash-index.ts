// The memory store's big indexes (orders by RRN, orders and requests by request key): records kept
// for days, one or more per transaction, found by key fields the record itself carries.
//
// A string-keyed Map needs a key string per record: built for every lookup, hashed by V8, kept for
// the record's days (an object per key for the collector to copy and mark), and read on every probe
// of a table of hundreds of thousands of entries (a cache miss besides the entry's own). Here a
// record is filed under a 30-bit hash of its key fields: a small integer, which V8 keeps inside the
// table with no object of its own and compares by value. A probe then checks the record's own
// fields. The rare records whose keys hash alike share a slot as an array. Each record carries its
// own expiry (record-map.ts): lazy expiry on read, a sliced sweep, spread over shards (shards.ts).

import { type Expiring, live } from './record-map.js';
import { Shards } from './shards.js';

/** How an index finds records of type R by keys of type K (R has K's fields). */
export interface KeyScheme<K, R extends K> {
  /** A 30-bit hash of the key fields (see `hashParts`). */
  hash(key: K): number;
  /** Does `record` have `key`'s fields? */
  matches(record: R, key: K): boolean;
}

/** One record, or the records whose keys share a hash. */
type Slot<R> = R | R[];

export class HashIndex<K, R extends K & Expiring> {
  readonly #shards: Shards<Slot<R>, number>;
  readonly #scheme: KeyScheme<K, R>;

  /** `shards`: Maps the records are spread over (a power of two). */
  constructor(scheme: KeyScheme<K, R>, shards = 1) {
    this.#scheme = scheme;
    this.#shards = new Shards(shards);
  }

  /** The live record with `key`'s fields; an expired one is dropped on the way (lazy expiry). */
  get(key: K, now = Date.now()): R | undefined {
    const h = this.#scheme.hash(key);
    const m = this.#shards.byHash(h);
    const slot = m.get(h);
    if (slot === undefined) return undefined;
    if (Array.isArray(slot)) return this.#getShared(m, h, slot, key, now);
    if (!this.#scheme.matches(slot, key)) return undefined;
    if (live(slot, now)) return slot;
    m.delete(h);
    return undefined;
  }

  /** Holds `record` until its own expiry, in place of any record with the same key. */
  set(record: R): void {
    const h = this.#scheme.hash(record);
    const m = this.#shards.byHash(h);
    const slot = m.get(h);
    if (slot === undefined) m.set(h, record);
    else if (Array.isArray(slot)) {
      const i = this.#indexIn(slot, record);
      if (i < 0) slot.push(record);
      else slot[i] = record;
    } else if (this.#scheme.matches(slot, record)) m.set(h, record);
    else m.set(h, [slot, record]);
  }

  /** Removes the record with `key`'s fields; true if there was one (live or not). */
  delete(key: K): boolean {
    const h = this.#scheme.hash(key);
    const m = this.#shards.byHash(h);
    const slot = m.get(h);
    if (slot === undefined) return false;
    if (!Array.isArray(slot)) return this.#scheme.matches(slot, key) && m.delete(h);
    const i = this.#indexIn(slot, key);
    if (i < 0) return false;
    this.#unshare(m, h, slot, i);
    return true;
  }

  /** Live records, shard by shard. */
  *values(now = Date.now()): IterableIterator<R> {
    for (const [, slot] of this.#shards.entries()) {
      if (!Array.isArray(slot)) {
        if (live(slot, now)) yield slot;
      } else for (const r of slot) if (live(r, now)) yield r;
    }
  }

  /** Removes expired records among the next `limit` slots, resuming where the last call stopped (shards.ts). */
  sweepSome(limit: number, now = Date.now()): boolean {
    return this.#shards.sweepSome(limit, (slot) => expiredSlot(slot, now));
  }

  /** Removes every expired record in one go. */
  sweep(now = Date.now()): void {
    this.#shards.sweep((slot) => expiredSlot(slot, now));
  }

  /** Records held, live or not yet swept. Walks every slot (for tests and diagnostics, not a hot path). */
  get size(): number {
    let n = this.#shards.size;
    for (const [, slot] of this.#shards.entries()) if (Array.isArray(slot)) n += slot.length - 1;
    return n;
  }

  clear(): void {
    this.#shards.clear();
  }

  #getShared(m: Map<number, Slot<R>>, h: number, slot: R[], key: K, now: number): R | undefined {
    const i = this.#indexIn(slot, key);
    if (i < 0) return undefined;
    const r = slot[i] as R;
    if (live(r, now)) return r;
    this.#unshare(m, h, slot, i);
    return undefined;
  }

  #indexIn(slot: R[], key: K): number {
    for (let i = 0; i < slot.length; i++) if (this.#scheme.matches(slot[i] as R, key)) return i;
    return -1;
  }

  /** Takes record `i` out of a shared slot; the last one left takes the slot alone again. */
  #unshare(m: Map<number, Slot<R>>, h: number, slot: R[], i: number): void {
    slot.splice(i, 1);
    if (slot.length === 1) m.set(h, slot[0] as R);
  }
}

/** Is the slot empty of live records? A shared slot loses its expired records on the way. */
function expiredSlot<R extends Expiring>(slot: Slot<R>, now: number): boolean {
  if (!Array.isArray(slot)) return !live(slot, now);
  for (let i = slot.length - 1; i >= 0; i--) if (!live(slot[i] as R, now)) slot.splice(i, 1);
  return slot.length === 0;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Written after each part, so that ("ab", "c") and ("a", "bc") hash apart. */
const SEPARATOR = 0x7c;

/** FNV-1a of `s`'s code units, continuing from `h`, then the separator. */
export function hashPart(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return Math.imul(h ^ SEPARATOR, FNV_PRIME);
}

/**
 * The 30-bit hash of up to four key parts (unused ones empty): FNV-1a, then a multiply-xorshift
 * finish so the low bits, which pick the shard, depend on every character (FNV's low bits depend only
 * on the characters' low bits). 30 bits: a small integer on every V8 build.
 */
export function hashParts(a: string, b: string, c = '', d = ''): number {
  let h = hashPart(hashPart(hashPart(hashPart(FNV_OFFSET, a), b), c), d);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h & 0x3fffffff;
}
