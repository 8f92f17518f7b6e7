// The memory store's pending 0620 pushes, kept by box as well: each C2B result and each reconnect
// lists one box's pushes, which used to be a pass over every pending push of every box (pushes to
// offline boxes wait here for up to a day).
//
// Same rules as the TtlMap it replaces: a push expires `ttlMs` after it was put (wall clock), lazily
// on read and by the sliced sweep; putting a push for an order that has one replaces it in place, so
// the order of iteration (first put first) is the TtlMap's.
import type { PendingPush } from './types.js';

/** A push and when it expires (epoch ms, wall clock); replaced in place by a later put. */
interface Held {
  push: PendingPush;
  at: number;
}

export class PushBook {
  /** Every push, first put first: the due listing and the sweep go through this. */
  readonly #all = new Set<Held>();
  /** MID|TID → RRN → push: a box's pushes without looking at anyone else's. */
  readonly #byBox = new Map<string, Map<string, Held>>();
  /** Where the sliced sweep goes on from (a Set iterator stays valid while entries come and go). */
  #cursor: IterableIterator<Held> | undefined;

  /** Adds the push, or replaces the one of the same order (keeping its place), for `ttlMs` from `now`. */
  put(push: PendingPush, ttlMs: number, now = Date.now()): void {
    const key = boxKey(push.mid, push.tid);
    let box = this.#byBox.get(key);
    if (box === undefined) {
      box = new Map();
      this.#byBox.set(key, box);
    }
    const held = box.get(push.rrn);
    if (held !== undefined) {
      held.push = push;
      held.at = now + ttlMs;
      return;
    }
    const fresh: Held = { push, at: now + ttlMs };
    box.set(push.rrn, fresh);
    this.#all.add(fresh);
  }

  /** The live push of one order; an expired one is dropped on the way. */
  get(mid: string, tid: string, rrn: string, now = Date.now()): PendingPush | undefined {
    const box = this.#byBox.get(boxKey(mid, tid));
    const held = box?.get(rrn);
    if (held === undefined) return undefined;
    if (held.at > now) return held.push;
    this.#drop(held, box);
    return undefined;
  }

  /** Forgets the push of one order, live or expired; false when there was none. */
  delete(mid: string, tid: string, rrn: string): boolean {
    const box = this.#byBox.get(boxKey(mid, tid));
    const held = box?.get(rrn);
    if (held === undefined) return false;
    this.#drop(held, box);
    return true;
  }

  /** One box's live pushes, first put first; expired ones are dropped on the way. */
  ofBox(mid: string, tid: string, now = Date.now()): PendingPush[] {
    const box = this.#byBox.get(boxKey(mid, tid));
    const out: PendingPush[] = [];
    if (box === undefined) return out;
    for (const held of box.values()) {
      if (held.at > now) out.push(held.push);
      else this.#drop(held, box);
    }
    return out;
  }

  /** Every live push, first put first. */
  *live(now = Date.now()): IterableIterator<PendingPush> {
    for (const held of this.#all) if (held.at > now) yield held.push;
  }

  /**
   * Removes expired pushes among the next `limit`, continuing where the previous call stopped;
   * true once a round over all of them has finished (as TtlMap.sweepSome).
   */
  sweepSome(limit: number, now = Date.now()): boolean {
    this.#cursor ??= this.#all.values();
    for (let i = 0; i < limit; i++) {
      const step = this.#cursor.next();
      if (step.done) {
        this.#cursor = undefined;
        return true;
      }
      if (step.value.at <= now) this.#drop(step.value);
    }
    return false;
  }

  get size(): number {
    return this.#all.size;
  }

  /** Boxes with at least one push held, expired or not (tests: no box is left behind empty). */
  get boxes(): number {
    return this.#byBox.size;
  }

  /** Removes a push from both views; a box left without pushes is forgotten. */
  #drop(held: Held, box = this.#byBox.get(boxKey(held.push.mid, held.push.tid))): void {
    this.#all.delete(held);
    if (box === undefined) return;
    box.delete(held.push.rrn);
    if (box.size === 0) this.#byBox.delete(boxKey(held.push.mid, held.push.tid));
  }
}

function boxKey(mid: string, tid: string): string {
  return `${mid}|${tid}`;
}
