// Bounds the calls one connector has in flight; callers beyond the bound wait in a FIFO queue of
// bounded length, and give up when their own deadline passes. A full queue refuses at once: under
// overload it is better to say no now than to let a backlog age past every caller's deadline.

/** No slot was granted: the queue was full, or the caller's signal fired while it waited. */
export class BusyError extends Error {
  override name = 'BusyError';
}

// The two refusals keep the name BusyError (callers and tests match on it); tell them apart by class.

/** Refused at once: `maxQueued` callers were already waiting. */
export class QueueFullError extends BusyError {
  constructor() {
    super('connector queue is full');
  }
}

/** The caller's signal fired (its queueing deadline passed) before a slot was free. */
export class QueueTimeoutError extends BusyError {
  constructor() {
    super('no free slot before the deadline');
  }
}

/** A queued caller: granted a slot (FIFO) by `grant`. */
interface Waiter {
  grant(): void;
}

/** What `acquireWithin` gives: the release function, or why no slot was granted. */
export type SlotOrRefusal = (() => void) | 'queue-full' | 'queue-timeout';

export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiters: Waiter[] = [];

  /** `onQueueChange(+1 | -1)` follows the queue depth (a gauge), called on every enqueue and dequeue. */
  constructor(
    readonly maxConcurrent: number,
    readonly maxQueued = maxConcurrent * 4,
    private readonly onQueueChange?: (delta: 1 | -1) => void,
  ) {
    if (!(maxConcurrent >= 1)) throw new RangeError('maxConcurrent must be at least 1');
    if (!(maxQueued >= 0)) throw new RangeError('maxQueued must be at least 0');
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** A slot now, without queueing: the release function, or undefined when every slot is taken. */
  tryAcquire(): (() => void) | undefined {
    // Waiters come first: a newcomer must not overtake the queue.
    if (this.active >= this.maxConcurrent || this.waiters.length > 0) return undefined;
    this.active++;
    return this.releaser();
  }

  /**
   * Resolves with a release function once a slot is free. Rejects with QueueFullError at once when
   * `maxQueued` callers already wait, with QueueTimeoutError when `signal` fires first.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    const now = this.tryAcquire();
    if (now) return Promise.resolve(now);
    if (signal?.aborted) return Promise.reject(new QueueTimeoutError());
    if (this.waiters.length >= this.maxQueued) return Promise.reject(new QueueFullError());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.take());
        },
      };
      const onAbort = () => {
        this.drop(waiter);
        reject(new QueueTimeoutError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.enqueue(waiter);
    });
  }

  /**
   * As `acquire`, with the wait bounded by `waitMs` on a timer of the waiter's own and a refusal as a
   * value: 'queue-full' at once when `maxQueued` callers already wait, 'queue-timeout' once `waitMs`
   * pass without a slot. The guard's path: an AbortController, its EventTarget and listener, and a
   * QueueTimeoutError per timed-out wait were ~2 KB per queued call, all of it alive across the
   * scavenges that fall into the wait.
   */
  acquireWithin(waitMs: number): Promise<SlotOrRefusal> {
    const now = this.tryAcquire();
    if (now) return Promise.resolve(now);
    if (this.waiters.length >= this.maxQueued) return Promise.resolve('queue-full');
    return new Promise((resolve) => {
      this.enqueue(new TimedWaiter(this, resolve, waitMs));
    });
  }

  /** @internal A slot for a waiter being granted one: counted, and its release function. */
  take(): () => void {
    this.active++;
    return this.releaser();
  }

  /** @internal Removes a waiter whose wait ended without a slot; false when it was granted one already. */
  drop(waiter: Waiter): boolean {
    const i = this.waiters.indexOf(waiter);
    if (i < 0) return false;
    this.waiters.splice(i, 1);
    this.onQueueChange?.(-1);
    return true;
  }

  private enqueue(waiter: Waiter): void {
    this.waiters.push(waiter);
    this.onQueueChange?.(1);
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active--;
      const next = this.waiters.shift();
      if (next) {
        this.onQueueChange?.(-1);
        next.grant();
      }
    };
  }
}

/** A waiter of `acquireWithin`: its timer and the promise's resolve, no closures. */
class TimedWaiter implements Waiter {
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly limiter: ConcurrencyLimiter,
    private readonly resolve: (slot: SlotOrRefusal) => void,
    waitMs: number,
  ) {
    this.timer = setTimeout(timedOut, waitMs, this);
  }

  grant(): void {
    clearTimeout(this.timer);
    this.resolve(this.limiter.take());
  }

  /** @internal The timer's callback (via timedOut). */
  expire(): void {
    if (this.limiter.drop(this)) this.resolve('queue-timeout');
  }
}

function timedOut(waiter: TimedWaiter): void {
  waiter.expire();
}
