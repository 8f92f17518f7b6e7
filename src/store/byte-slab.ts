// Copies of small byte strings kept for a long time (the memory store's stored responses, one per
// request, kept for days). Each `Uint8Array.from` is an ArrayBuffer of its own: a
// JS object pair, an off-heap allocation and a backing-store record the garbage collector tracks
// one by one, a few hundred bytes around 60 bytes of data. Copies here are views into shared 64 KB
// slabs instead: one object each. A slab is freed once no view into it is left: give each ByteSlab
// copies of one lifetime, so that a slab's views expire together.

const SLAB_BYTES = 64 * 1024;
/** Larger copies get an ArrayBuffer of their own (they would waste a slab's tail). */
const MAX_SHARED = 4 * 1024;

export class ByteSlab {
  #slab = new Uint8Array(0);
  #used = 0;

  /** A copy of `bytes` that nothing else writes to. */
  copy(bytes: Uint8Array): Uint8Array {
    const n = bytes.length;
    if (n > MAX_SHARED) return Uint8Array.from(bytes);
    if (this.#used + n > this.#slab.length) {
      this.#slab = new Uint8Array(SLAB_BYTES);
      this.#used = 0;
    }
    const view = this.#slab.subarray(this.#used, this.#used + n);
    view.set(bytes);
    this.#used += n;
    return view;
  }
}
