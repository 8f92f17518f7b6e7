// Deadlines of the flows' wallet waits in one binary heap, earliest first, with one timer armed for
// the earliest. A Timeout per wait (and its argument array) was ~150 B held through every scavenge
// of the wallet's wait; an entry here is two numbers on the waiting object and one array slot.

/** What a deadline expires: a wait that settles on its own unless `expire` comes first. */
export abstract class Deadline {
  /** performance.now() at which it expires, rounded up to a whole ms. */
  at = 0;
  /** Position in its heap; -1 when in none. */
  slot = -1;

  /** Called once when the deadline passes while still in the heap (it has been taken out). */
  abstract expire(): void;
}

/** setTimeout's own bounds: longer delays and NaN become 1 ms there, so they do here. */
const TIMEOUT_MAX = 2 ** 31 - 1;

export class DeadlineHeap {
  private readonly heap: Deadline[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires; Infinity when none is armed. */
  private armedAt = Number.POSITIVE_INFINITY;

  get size(): number {
    return this.heap.length;
  }

  /** Expires `d` after `ms` (as setTimeout would: under 1 ms, over 2^31 − 1 or NaN is 1 ms). */
  add(d: Deadline, ms: number): void {
    const delay = ms >= 1 && ms <= TIMEOUT_MAX ? ms : 1;
    // Whole ms, as Node's timers count: a small integer, not a HeapNumber per entry.
    d.at = Math.ceil(performance.now() + delay);
    d.slot = this.heap.length;
    this.heap.push(d);
    this.up(d.slot);
    if (d.at < this.armedAt) this.arm(d.at);
  }

  /** Takes `d` out (it settled first); no-op when it is not in the heap. */
  remove(d: Deadline): void {
    const i = d.slot;
    if (i < 0 || this.heap[i] !== d) return;
    this.take(i);
    // The armed timer is left as it is: when it fires early it re-arms for the next, and an empty
    // heap lets it go (no timer keeps the process alive for nothing).
    if (this.heap.length === 0) this.disarm();
  }

  private take(i: number): void {
    const heap = this.heap;
    const d = heap[i] as Deadline;
    const last = heap.pop() as Deadline;
    d.slot = -1;
    if (last === d) return;
    heap[i] = last;
    last.slot = i;
    this.down(i);
    this.up(last.slot);
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedAt = at;
    const delay = Math.min(Math.max(at - performance.now(), 1), TIMEOUT_MAX);
    this.timer = setTimeout(fireDeadlines, delay, this);
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
  }

  /** @internal The timer's callback (via fireDeadlines): expires what is due, re-arms for the rest. */
  fire(): void {
    this.timer = undefined;
    this.armedAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    const heap = this.heap;
    // Taken out before `expire` runs, so an expire that adds or removes deadlines sees a sound heap.
    while (heap.length > 0 && (heap[0] as Deadline).at <= now) {
      const first = heap[0] as Deadline;
      this.take(0);
      first.expire();
    }
    const next = heap[0];
    if (next !== undefined && next.at < this.armedAt) this.arm(next.at);
  }

  private up(i: number): void {
    const heap = this.heap;
    const d = heap[i] as Deadline;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p] as Deadline;
      if (parent.at <= d.at) break;
      heap[i] = parent;
      parent.slot = i;
      i = p;
    }
    heap[i] = d;
    d.slot = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const d = heap[i] as Deadline;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const right = c + 1;
      if (right < n && (heap[right] as Deadline).at < (heap[c] as Deadline).at) c = right;
      const child = heap[c] as Deadline;
      if (d.at <= child.at) break;
      heap[i] = child;
      child.slot = i;
      i = c;
    }
    heap[i] = d;
    d.slot = i;
  }
}

/** The heap every wallet wait of the flows shares (`within`, a sale's pay): one timer for all. */
export const walletDeadlines = new DeadlineHeap();

function fireDeadlines(heap: DeadlineHeap): void {
  heap.fire();
}
