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

export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

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
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.active++;
        resolve(this.releaser());
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(grant);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          this.onQueueChange?.(-1);
        }
        reject(new QueueTimeoutError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(grant);
      this.onQueueChange?.(1);
    });
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
        next();
      }
    };
  }
}
