// Copies of small byte strings kept for a long time (the memory store's stored responses, one per
// request, kept for days). Each `Uint8Array.from` is an ArrayBuffer of its own: a
// JS object pair, an off-heap allocation and a backing-store record the garbage collector tracks
// one by one, a few hundred bytes around 60 bytes of data. Copies here go into shared 64 KB
// slabs instead. A slab is freed once nothing refers to it: give each ByteSlab copies of one
// lifetime, so that a slab's copies expire together.
//
// `copy` returns a view (one 96-byte Uint8Array object per copy). `place` returns no object at all:
// the copy is the slab `placedIn` plus a small integer span, read back with `spanOf` only when needed,
// for holders that keep millions of copies (every object kept is copied by each scavenge it lives
// through, then by the old generation's compactions).

const SLAB_BYTES = 64 * 1024;
/** Larger copies get an ArrayBuffer of their own (they would waste a slab's tail). */
const MAX_SHARED = 4 * 1024;
/** A span is offset × SPAN_LENGTHS + length: below 2^29, a small integer V8 stores without a box. */
const SPAN_LENGTHS = 8192;
/** The span of a copy that has an ArrayBuffer of its own: all of it. */
const WHOLE = -1;

export class ByteSlab {
  #slab = new Uint8Array(0);
  #used = 0;
  #placedIn = this.#slab;

  /** A copy of `bytes` that nothing else writes to. */
  copy(bytes: Uint8Array): Uint8Array {
    const span = this.place(bytes);
    return spanOf(this.#placedIn, span);
  }

  /**
   * Copies `bytes` and returns the copy's span within `placedIn` (read it with `spanOf(placedIn, span)`);
   * keep both: the slab is only freed once nothing refers to it.
   */
  place(bytes: Uint8Array): number {
    const n = bytes.length;
    if (n > MAX_SHARED) {
      this.#placedIn = Uint8Array.from(bytes);
      return WHOLE;
    }
    if (this.#used + n > this.#slab.length) {
      this.#slab = new Uint8Array(SLAB_BYTES);
      this.#used = 0;
    }
    const at = this.#used;
    this.#slab.set(bytes, at);
    this.#used += n;
    this.#placedIn = this.#slab;
    return at * SPAN_LENGTHS + n;
  }

  /** The slab (or own buffer) the last `place` copied into. */
  get placedIn(): Uint8Array {
    return this.#placedIn;
  }
}

/** The copy `place` described: a view of `slab`, made on each call. */
export function spanOf(slab: Uint8Array, span: number): Uint8Array {
  if (span === WHOLE) return slab;
  const at = Math.floor(span / SPAN_LENGTHS);
  return slab.subarray(at, at + (span % SPAN_LENGTHS));
}
