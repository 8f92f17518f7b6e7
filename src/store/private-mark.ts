// A hidden link from objects handed to callers back to what they were made from: the memory store
// marks each caller's copy of a new order with the order's stored form, so that the sale's last step
// finds its order without building its key and looking it up among every order kept.
//
// The mark is a private class field added to an existing object: a base constructor that returns the
// object it is given makes the subclass's field initialiser define the field on that object (standard
// class semantics). Unlike a symbol or string property it is invisible to Object.keys, spreads,
// structuredClone, JSON and deep-equality checks, so the copy stays plain data to every caller; unlike
// a WeakMap entry it is a property like any other (`node dist/bench/store/private-mark.js`: +13 ns per
// copy marked and read back, against +289 ns through a WeakMap's ephemeron table).
// Each call makes a new class, hence a new private name: one store's marks are not another's.

export interface PrivateMark<T extends object, V> {
  /** Marks `o` with `value` (once per object: a second mark of the same object throws). */
  set(o: T, value: V): void;
  /** The value `o` was marked with by this mark, or undefined. */
  get(o: T): V | undefined;
}

export function privateMark<T extends object, V>(): PrivateMark<T, V> {
  class Adopt {
    constructor(o: T) {
      // biome-ignore lint/correctness/noConstructorReturn: the return override is what adds the field to `o`
      return o;
    }
  }
  class Marked extends Adopt {
    #value: V;
    constructor(o: T, value: V) {
      super(o);
      this.#value = value;
    }
    static get(o: T): V | undefined {
      return #value in o ? (o as unknown as Marked).#value : undefined;
    }
  }
  return {
    set: (o, value) => {
      new Marked(o, value);
    },
    get: Marked.get,
  };
}
