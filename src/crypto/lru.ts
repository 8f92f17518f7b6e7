// A bounded cache over Map insertion order, least recently used first out, approximately: set() evicts
// the oldest entry; get() moves an entry to the newest end only once half the capacity has been put
// after it. A strict LRU moved it on every hit (a delete and a set: two more hash operations per MAC key
// read, and a table of deleted slots rebuilt every `capacity` hits); here a fleet's working set that
// fits in half the cache is read with one lookup. The cost: a key just read stays for at least
// capacity − ⌊capacity / 2⌋ further entries put at the newest end (new keys, keys set again, keys read
// and moved), where a strict LRU keeps it for capacity − 1 (`node dist/bench/crypto/lru.js` measures both).
interface Slot<V> {
  value: V;
  /** The insert count when the entry was last put at the newest end. */
  placed: number;
}

export class Lru<K, V> {
  private readonly map = new Map<K, Slot<V>>();
  /** Entries put at the newest end so far (inserts and moves). */
  private placed = 0;
  private readonly half: number;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('LRU capacity must be at least 1');
    this.half = Math.max(1, Math.floor(capacity / 2));
  }

  get size(): number {
    return this.map.size;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  get(key: K): V | undefined {
    const slot = this.map.get(key);
    if (slot === undefined) return undefined;
    // Half the cache or more was put after it: move it to the newest end, as a strict LRU would.
    if (this.placed - slot.placed >= this.half) {
      this.map.delete(key);
      this.map.set(key, slot);
      slot.placed = ++this.placed;
    }
    return slot.value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, { value, placed: ++this.placed });
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K);
  }

  /** True when the key was there. */
  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
}
