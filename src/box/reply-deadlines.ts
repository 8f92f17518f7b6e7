// Reply timeouts for many outstanding requests without a timer each. Requests that share a timeout
// expire in the order they were sent, so one FIFO queue per timeout value and one Node timer for its
// oldest entry are enough: exact (an entry never expires early, and late only by timer slack) and
// O(1) per request. A load generator at thousands of requests per second otherwise creates, links
// and unlinks a Timeout object per request. An answered entry is only marked settled; it leaves the
// queue once everything sent before it has left, which with in-order replies is at once.

/** An outstanding request as the queue sees it. */
export interface Deadline {
  /** performance.now() at which it expires. */
  readonly due: number;
  /** Answered (or failed otherwise): nothing left to expire. */
  settled: boolean;
  /** Called once when `due` passes unsettled (the queue marks it settled first). */
  expire(): void;
}

/** Queues of every timeout value in use, by timeout in ms. */
const queues = new Map<number, DeadlineQueue>();

/** The queue shared by every request with a timeout of `timeoutMs`. */
export function deadlineQueue(timeoutMs: number): DeadlineQueue {
  let q = queues.get(timeoutMs);
  if (q === undefined) {
    q = new DeadlineQueue();
    queues.set(timeoutMs, q);
  }
  return q;
}

export class DeadlineQueue {
  /** A ring buffer (capacity a power of two) of the entries from oldest to newest. */
  private ring: (Deadline | undefined)[] = new Array(64).fill(undefined);
  private head = 0;
  private count = 0;
  private timer: NodeJS.Timeout | undefined;

  /** Watches `d`, whose due time must be the queue's timeout from now. */
  add(d: Deadline): void {
    if (this.count === this.ring.length) this.grow();
    this.ring[(this.head + this.count) & (this.ring.length - 1)] = d;
    this.count++;
    if (this.timer === undefined) this.arm();
    // An idle queue's timer is unreferenced (see trim): waiting for a reply keeps the process alive.
    else this.timer.ref();
  }

  /** Marks `d` settled and lets it leave the queue (a no-op when it already was). */
  settle(d: Deadline): void {
    if (d.settled) return;
    d.settled = true;
    this.trim();
  }

  private oldest(): Deadline | undefined {
    return this.count === 0 ? undefined : this.ring[this.head];
  }

  /** Removes the oldest entry; its slot is cleared so the queue keeps nothing alive. */
  private shift(): void {
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) & (this.ring.length - 1);
    this.count--;
  }

  /** Drops settled entries from the front. */
  private trim(): void {
    for (let d = this.oldest(); d?.settled; d = this.oldest()) this.shift();
    // Nothing to wait for: the timer may stay armed (re-arming costs more) but holds nothing up.
    if (this.count === 0) this.timer?.unref();
  }

  private grow(): void {
    const old = this.ring;
    const ring: (Deadline | undefined)[] = new Array(old.length * 2).fill(undefined);
    for (let i = 0; i < this.count; i++) ring[i] = old[(this.head + i) & (old.length - 1)];
    this.ring = ring;
    this.head = 0;
  }

  private fire(): void {
    this.timer = undefined;
    const now = performance.now();
    for (let d = this.oldest(); d !== undefined; d = this.oldest()) {
      if (!d.settled) {
        if (d.due > now) break;
        d.settled = true;
        d.expire();
      }
      this.shift();
    }
    this.trim();
    // (An expire() that sent a new request has armed the timer already.)
    if (this.count > 0 && this.timer === undefined) this.arm();
  }

  /** A timer for the oldest entry still queued. */
  private arm(): void {
    const wait = Math.max(1, Math.ceil(this.ring[this.head]!.due - performance.now()));
    this.timer = setTimeout(() => this.fire(), wait);
  }
}
