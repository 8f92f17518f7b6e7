// Everything a connector call goes through before and after the wire: the concurrency limit with a
// bounded queue, the circuit breaker, deadlines, retries for idempotent operations, and metrics. The
// wire attempt itself is the connector's; it throws only for transport problems and timeouts.
//
// One rule decides every outcome here: a call refused before it reached the wallet (breaker open,
// queue full, no slot in time, connection refused) moved no money, so it is `failed` /
// `channel-unavailable` — a definite refusal the box may show as `91`. Only an attempt actually
// handed to the wire can be `unknown`, and once one was, a later local refusal of a retry cannot
// make the call's result definite again.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger, silentLogger } from '../log/logger.js';
import type { CounterCell, GaugeCell, HistogramCell } from '../metrics/cells.js';
import {
  channelBreakerState,
  channelCallCells,
  channelInFlightCells,
  channelOutcomeCells,
  channelQueued,
  channelQueueWaitSeconds,
  channelRejected,
  channelRetries,
} from '../metrics/channels.js';
import type { WalletCode } from '../terminals/types.js';
import { type BreakerOptions, CircuitBreaker, DEFAULT_BREAKER } from './breaker.js';
import type { ChannelOperation, ChannelResult } from './channel.js';
import { ConcurrencyLimiter } from './limiter.js';
import type { Outcome } from './outcomes.js';

export interface GuardOptions {
  /** Deadline of one attempt, ms, counted from the moment it asks for a slot: queueing plus the wire. */
  timeoutMs: number;
  /**
   * Budget of the whole call across attempts and retry backoff, ms; no retry starts past it.
   * Default `timeoutMs × (1 + retries)`: every attempt may use its full deadline.
   */
  deadlineMs?: number;
  /** Calls to the wallet in flight at once. */
  maxConcurrent: number;
  /**
   * Calls waiting for a slot; beyond it a new call is refused at once. Default DEFAULT_MAX_QUEUED: a
   * bound against runaway memory only; the deadline (`maxQueueWaitMs`, `minUsefulMs`) does the shedding.
   */
  maxQueued?: number;
  /**
   * Longest wait for a slot, ms; default half of `timeoutMs`, at most DEFAULT_MAX_QUEUE_WAIT_MS.
   * A hiccup queues; a wallet or a boxfep that gives no slot for this long is overloaded, and
   * waiting longer would only age the backlog past the boxes' patience.
   */
  maxQueueWaitMs?: number;
  /**
   * An attempt that would start with less than this left of its deadline is not made (the call is
   * refused unsent, or a retry is skipped), ms; default a tenth of `timeoutMs`.
   */
  minUsefulMs?: number;
  breaker: BreakerOptions;
  /** Extra attempts for idempotent operations whose outcome is unknown. */
  retries: number;
  /** First retry delay, doubled each time. */
  retryDelayMs: number;
}

/**
 * Default queue bound. A stall shorter than the deadline — the wallet's, or boxfep's own event loop —
 * must queue, not refuse payments: at 5,000 calls/s a 200 ms hiccup queues 1,000 calls, and 4,096
 * leaves room for longer ones and bursts. (The old 4 × maxConcurrent = 64 turned a 60–130 ms stall at
 * 2,000 WeChat-style sales/s into `91`s.) A waiting call holds a few hundred bytes.
 */
export const DEFAULT_MAX_QUEUED = 4_096;

/** Cap of the default `maxQueueWaitMs`: with the deep default queue, what sheds a sustained overload. */
export const DEFAULT_MAX_QUEUE_WAIT_MS = 1_000;

export const DEFAULT_GUARD: GuardOptions = {
  timeoutMs: 10_000,
  maxConcurrent: 256,
  breaker: DEFAULT_BREAKER,
  retries: 2,
  retryDelayMs: 100,
};

/** Operations safe to repeat with the same order / refund number. A new pay never is. */
const IDEMPOTENT: ReadonlySet<ChannelOperation> = new Set(['query', 'cancel', 'close', 'refund']);

/** A transport failure that proves the request never left (connection refused): safe to call failed. */
export class NotSentError extends Error {
  override name = 'NotSentError';
}

/** Why a call was refused before reaching the wallet: the `reason` label of `_rejected_total`. */
export type LocalRefusal = 'breaker-open' | 'queue-full' | 'queue-timeout';

const REFUSAL_CODES: Readonly<Record<LocalRefusal, readonly [walletCode: string, message: string]>> = {
  'breaker-open': ['BREAKER_OPEN', 'wallet circuit breaker is open'],
  'queue-full': ['QUEUE_FULL', 'too many wallet calls waiting'],
  'queue-timeout': ['QUEUE_TIMEOUT', 'no free slot in time to call the wallet'],
};

const BREAKER_GAUGE = { closed: 0, 'half-open': 1, open: 2 } as const;

/** Local refusals are logged at most this often per wallet (with the count since the last line). */
const REFUSAL_LOG_INTERVAL_MS = 1_000;

/** One attempt on the wire, given its deadline (see AttemptDeadline for the two ways to follow it). */
export type Attempt = (deadline: AttemptDeadline) => Promise<ChannelResult>;

/**
 * One attempt's deadline as its transport sees it, and the race between the attempt and that deadline.
 * A transport that cancels through an AbortSignal (undici's request API) reads `signal`; one that only
 * has to forget the request (the UnionPay link) sets `onExpire`. The signal is made on first use: an
 * AbortController + AbortSignal (an EventTarget) and its listeners were ~1.5 KB and ~3 % of the main
 * thread per call where nothing listened to them.
 */
export class AttemptDeadline {
  private controller: AbortController | undefined;
  private reason: TimeoutError | undefined;
  private expireHook: ((reason: TimeoutError) => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lose: ((reason: TimeoutError) => void) | undefined;

  /** True once the deadline passed before the attempt settled. */
  get expired(): boolean {
    return this.reason !== undefined;
  }

  /** Aborted (with a TimeoutError) when the deadline passes first. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /**
   * `fn` runs once if the deadline passes before the attempt settles (one hook; a later call replaces
   * it); at once when it already passed.
   */
  onExpire(fn: (reason: TimeoutError) => void): void {
    if (this.reason) fn(this.reason);
    else this.expireHook = fn;
  }

  /**
   * For the guard: the attempt's promise, or a TimeoutError once `ms` pass first. The caller calls
   * `settle()` once it has the outcome (on the same microtask run the attempt settled in, so the
   * timer cannot fire in between). The attempt settles the race through `resolve`/`reject` directly
   * and the timer gets the deadline as its argument: a settle closure, two `then` closures and their
   * context were ~0.15 KB per call.
   */
  race(attempt: Attempt, ms: number): Promise<ChannelResult> {
    // Whole milliseconds: Node keeps one timer list per distinct duration, and a fractional one
    // (the budget minus a few µs) made a new list, and a priority-queue insert, for every call.
    this.timer = setTimeout(expireDeadline, Math.ceil(ms), this);
    // A synchronous throw of `attempt` rejects the promise (the executor's throw does).
    return new Promise<ChannelResult>((resolve, reject) => {
      this.lose = reject;
      attempt(this).then(resolve, reject);
    });
  }

  /** The attempt settled (or threw): the timer and the hooks go. */
  settle(): void {
    clearTimeout(this.timer);
    this.expireHook = undefined;
    this.lose = undefined;
  }

  /** @internal The timer's callback (via expireDeadline). */
  expire(): void {
    const reason = new TimeoutError();
    const { expireHook, lose } = this;
    this.reason = reason;
    this.expireHook = undefined;
    this.lose = undefined;
    this.controller?.abort(reason);
    expireHook?.(reason);
    lose?.(reason);
  }
}

function expireDeadline(deadline: AttemptDeadline): void {
  deadline.expire();
}

type Labels = Readonly<Record<string, string>>;

/**
 * Results of attempts that never reached the wire (local refusals, connection refused): a retry's
 * refusal must not replace an earlier attempt's sent result. A mark on the rare refused result, not a
 * `{ result, sent }` wrapper around every attempt's.
 */
const UNSENT = new WeakSet<ChannelResult>();

interface Limits {
  timeoutMs: number;
  deadlineMs: number;
  maxQueueWaitMs: number;
  minUsefulMs: number;
}

export class CallGuard {
  readonly breaker: CircuitBreaker;
  private readonly limiter: ConcurrencyLimiter;
  private readonly options: GuardOptions;
  private readonly limits: Limits;
  private readonly labels: { wallet: WalletCode };
  /** Retry counter labels by operation, made once. */
  private readonly labelCache: Partial<Record<ChannelOperation, Labels>> = {};
  /**
   * The per-call series' cells (src/metrics/cells.ts), found once per operation and outcome: a call
   * then does no label hashing. Made on first use, when a direct call would have made the series.
   */
  private inFlightCell: GaugeCell | undefined;
  private readonly callCells: Partial<Record<ChannelOperation, HistogramCell>> = {};
  private readonly outcomeCells: Partial<Record<ChannelOperation, Partial<Record<Outcome, CounterCell>>>> = {};
  private refusalsUnlogged = 0;
  private refusalLoggedAt = Number.NEGATIVE_INFINITY;
  /** Every line names the wallet once: the connector's logger already binds it; a bare one gets it here. */
  private readonly logger: Logger;

  constructor(
    readonly wallet: WalletCode,
    options: Partial<GuardOptions> = {},
    logger: Logger = silentLogger,
  ) {
    this.logger = logger.bindings().wallet === wallet ? logger : logger.child({ wallet });
    this.options = { ...DEFAULT_GUARD, ...options };
    this.limits = limitsOf(this.options);
    this.labels = { wallet };
    this.limiter = new ConcurrencyLimiter(
      this.options.maxConcurrent,
      this.options.maxQueued ?? DEFAULT_MAX_QUEUED,
      (delta) => channelQueued.inc(this.labels, delta),
    );
    this.breaker = new CircuitBreaker({
      ...this.options.breaker,
      onStateChange: (state) => {
        channelBreakerState.set({ wallet }, BREAKER_GAUGE[state]);
        this.logger.warn({ breaker: state }, 'channel breaker state changed');
        this.options.breaker.onStateChange?.(state);
      },
    });
    channelBreakerState.set({ wallet }, 0);
    channelQueued.inc(this.labels, 0);
  }

  /** Calls waiting for a slot now. */
  get queued(): number {
    return this.limiter.queued;
  }

  /** Calls holding a slot now. */
  get inFlight(): number {
    return this.limiter.inFlight;
  }

  run(op: ChannelOperation, attempt: Attempt): Promise<ChannelResult> {
    const deadline = performance.now() + this.limits.deadlineMs;
    if (IDEMPOTENT.has(op) && this.options.retries > 0) return this.runWithRetries(op, attempt, deadline);
    // One attempt (a pay): `once` reports the outcome itself, no second async frame (~0.4 KB) around it.
    return this.once(op, attempt, deadline, true);
  }

  private async runWithRetries(op: ChannelOperation, attempt: Attempt, deadline: number): Promise<ChannelResult> {
    const { minUsefulMs } = this.limits;
    const maxAttempts = 1 + this.options.retries;
    let last = await this.once(op, attempt, deadline, false);
    // The last result of an attempt that reached the wire: what the call reports if a retry is refused.
    let lastSent = UNSENT.has(last) ? undefined : last;
    for (let n = 1; n < maxAttempts && last.outcome === 'unknown'; n++) {
      const backoff = this.options.retryDelayMs * 2 ** (n - 1);
      if (deadline - performance.now() - backoff < minUsefulMs) break;
      channelRetries.inc(this.labelsOf(op));
      await sleep(backoff);
      last = await this.once(op, attempt, deadline, false);
      if (!UNSENT.has(last)) lastSent = last;
    }
    return this.reported(op, UNSENT.has(last) && lastSent ? lastSent : last, true);
  }

  /** The call's result, its outcome counted and an unknown one logged when `report` (the call's last attempt). */
  private reported(op: ChannelOperation, result: ChannelResult, report: boolean): ChannelResult {
    if (!report) return result;
    this.outcomeCell(op, result.outcome).inc();
    if (result.outcome === 'unknown') this.logger.warn({ op, code: result.walletCode }, 'unknown');
    return result;
  }

  /**
   * One attempt. Not an async function: the frame and its await (~0.5 KB) lived through every
   * scavenge of the wallet's wait; now the wait holds two closures over what the attempt's end needs.
   * A throw here is the returned promise's rejection, as it was.
   */
  private once(op: ChannelOperation, attempt: Attempt, deadline: number, report: boolean): Promise<ChannelResult> {
    try {
      const start = performance.now();
      const budget = Math.min(this.limits.timeoutMs, deadline - start);
      // An open breaker refuses before queueing: no reason to hold a queue place for a sure refusal.
      if (this.breaker.state === 'open') return Promise.resolve(this.reported(op, this.refuse('breaker-open'), report));
      const release = this.limiter.tryAcquire();
      if (release) return this.send(op, attempt, report, start, budget, release);
      return this.queueThenSend(op, attempt, report, start, budget);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Waits for a slot (see acquireWithin: no AbortController), then sends. */
  private async queueThenSend(
    op: ChannelOperation,
    attempt: Attempt,
    report: boolean,
    start: number,
    budget: number,
  ): Promise<ChannelResult> {
    const waitMs = Math.min(this.limits.maxQueueWaitMs, budget - this.limits.minUsefulMs);
    if (waitMs <= 0) return this.reported(op, this.refuse('queue-timeout'), report);
    const queuedAt = performance.now();
    const waited = await this.limiter.acquireWithin(Math.ceil(waitMs));
    channelQueueWaitSeconds.observe(this.labels, (performance.now() - queuedAt) / 1000);
    if (typeof waited === 'string') return this.reported(op, this.refuse(waited), report);
    return this.send(op, attempt, report, start, budget, waited);
  }

  /** With a slot: the attempt raced against what is left of its budget. Called inside once's try or an async frame. */
  private send(
    op: ChannelOperation,
    attempt: Attempt,
    report: boolean,
    start: number,
    budget: number,
    release: () => void,
  ): Promise<ChannelResult> {
    const remaining = budget - (performance.now() - start);
    if (remaining < this.limits.minUsefulMs) {
      release();
      return Promise.resolve(this.reported(op, this.refuse('queue-timeout'), report));
    }
    if (!this.breaker.tryAcquire()) {
      release();
      return Promise.resolve(this.reported(op, this.refuse('breaker-open'), report));
    }

    const attemptDeadline = new AttemptDeadline();
    const sentAt = performance.now();
    const inFlight = this.inFlightCell ?? channelInFlightCells.of(this.wallet);
    this.inFlightCell = inFlight;
    inFlight.inc();
    // The same steps as a try / catch / finally around an await: the breaker told, then the timer
    // cleared, the latency observed and the slot released, then the outcome counted.
    return attemptDeadline.race(attempt, remaining).then(
      (result) => {
        // Only unknown outcomes are the wallet's fault; business refusals prove it is answering.
        if (result.outcome === 'unknown') this.breaker.failure();
        else this.breaker.success();
        this.attemptEnded(op, attemptDeadline, sentAt, inFlight, release);
        return this.reported(op, result, report);
      },
      (err: unknown) => {
        this.breaker.failure();
        const result = fromError(err, attemptDeadline);
        this.attemptEnded(op, attemptDeadline, sentAt, inFlight, release);
        return this.reported(op, result, report);
      },
    );
  }

  private attemptEnded(
    op: ChannelOperation,
    attemptDeadline: AttemptDeadline,
    sentAt: number,
    inFlight: GaugeCell,
    release: () => void,
  ): void {
    attemptDeadline.settle();
    this.callCell(op).observe((performance.now() - sentAt) / 1000);
    inFlight.dec();
    release();
  }

  /** Labels of the retry counter (retries are rare: no cell). */
  private labelsOf(op: ChannelOperation): Labels {
    let labels = this.labelCache[op];
    if (!labels) {
      labels = { wallet: this.wallet, op };
      this.labelCache[op] = labels;
    }
    return labels;
  }

  private callCell(op: ChannelOperation): HistogramCell {
    let cell = this.callCells[op];
    if (!cell) {
      cell = channelCallCells.of2(this.wallet, op);
      this.callCells[op] = cell;
    }
    return cell;
  }

  private outcomeCell(op: ChannelOperation, outcome: Outcome): CounterCell {
    let byOutcome = this.outcomeCells[op];
    if (!byOutcome) {
      byOutcome = {};
      this.outcomeCells[op] = byOutcome;
    }
    let cell = byOutcome[outcome];
    if (!cell) {
      cell = channelOutcomeCells.cell({ wallet: this.wallet, op, outcome });
      byOutcome[outcome] = cell;
    }
    return cell;
  }

  /**
   * A refusal before the wire: counted, logged at most once a second, and — the wallet did nothing
   * wrong — never reported to the breaker, so local overload cannot open it.
   */
  private refuse(why: LocalRefusal): ChannelResult {
    channelRejected.inc({ wallet: this.wallet, reason: why });
    this.refusalsUnlogged++;
    const now = performance.now();
    if (now - this.refusalLoggedAt >= REFUSAL_LOG_INTERVAL_MS) {
      this.logger.warn(
        { reason: why, refused: this.refusalsUnlogged, queued: this.limiter.queued },
        'wallet calls refused before sending',
      );
      this.refusalLoggedAt = now;
      this.refusalsUnlogged = 0;
    }
    const [walletCode, message] = REFUSAL_CODES[why];
    return unavailable(walletCode, message);
  }
}

export class TimeoutError extends Error {
  override name = 'TimeoutError';
  constructor() {
    super('wallet call timed out');
  }
}

function limitsOf(o: GuardOptions): Limits {
  const limits: Limits = {
    timeoutMs: o.timeoutMs,
    deadlineMs: o.deadlineMs ?? o.timeoutMs * (1 + o.retries),
    maxQueueWaitMs: o.maxQueueWaitMs ?? Math.min(o.timeoutMs / 2, DEFAULT_MAX_QUEUE_WAIT_MS),
    minUsefulMs: o.minUsefulMs ?? o.timeoutMs / 10,
  };
  if (!(limits.timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');
  if (!(limits.deadlineMs > 0)) throw new RangeError('deadlineMs must be > 0');
  if (!(limits.maxQueueWaitMs >= 0)) throw new RangeError('maxQueueWaitMs must be >= 0');
  if (!(limits.minUsefulMs >= 0 && limits.minUsefulMs < Math.min(limits.timeoutMs, limits.deadlineMs))) {
    throw new RangeError('minUsefulMs must be >= 0 and below timeoutMs and deadlineMs');
  }
  return limits;
}

/** A refusal before the wire (moved no money), marked as such in UNSENT. */
function unavailable(walletCode: string, walletMessage: string): ChannelResult {
  const result: ChannelResult = { outcome: 'failed', reason: 'channel-unavailable', walletCode, walletMessage };
  UNSENT.add(result);
  return result;
}

function fromError(err: unknown, deadline: AttemptDeadline): ChannelResult {
  if (deadline.expired || err instanceof TimeoutError) {
    return { outcome: 'unknown', reason: 'timeout', walletCode: 'TIMEOUT', walletMessage: 'no answer in time' };
  }
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof NotSentError) return unavailable('NOT_SENT', message);
  return { outcome: 'unknown', reason: 'system-error', walletCode: 'TRANSPORT', walletMessage: message };
}
