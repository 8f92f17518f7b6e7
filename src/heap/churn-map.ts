// A Map for entries that come and go by the thousand a second (requests in flight), made anew every
// few thousand inserts so that V8 keeps its table in the young generation.
//
// Why: a Map is an insert-ordered table; `delete` leaves a hole, and once live entries and holes fill
// the table V8 builds a new one and leaves the old one behind, still pointing to the entries it held.
// The new table is allocated in the generation of the one it replaces, so a Map that once lived
// through two scavenges (one made at start, before the load) gets every new table straight in the
// old generation, a few dozen inserts apart: old garbage that scavenges take as roots until the next
// mark-compact, keeping whatever was in flight at each rebuild (docs/performance.md, nineteenth
// round; `npm run bench:gc`). A Map made anew has a young table, and while the rebuilds come faster
// than two scavenges, as they do under load, its tables stay young and die young. Values that let
// go of what they reach when they leave (src/flows/inflight.ts) still matter when the load stops.

/** Inserts between renewals: a copy of the entries in flight (dozens) every few seconds under load. */
export const CHURN_MAP_RENEW_EVERY = 4_096;

export class ChurnMap<K, V> {
  private map = new Map<K, V>();
  private insertsLeft: number;

  constructor(private readonly renewEvery = CHURN_MAP_RENEW_EVERY) {
    this.insertsLeft = renewEvery;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): this {
    if (--this.insertsLeft <= 0) {
      this.map = new Map(this.map);
      this.insertsLeft = this.renewEvery;
    }
    this.map.set(key, value);
    return this;
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** The values now, as an array: callers settle entries while walking, which deletes them. */
  values(): V[] {
    return [...this.map.values()];
  }
}
