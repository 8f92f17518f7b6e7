// Everything a connector call goes through before and after the wire: the concurrency limit, the
// circuit breaker, a per-attempt timeout, retries for idempotent operations, and metrics. The wire
// attempt itself is the connector's; it throws only for transport problems and timeouts.
import { setTimeout as sleep } from 'node:timers/promises';
import { type Logger, silentLogger } from '../log/logger.js';
import {
  channelBreakerState,
  channelCallSeconds,
  channelInFlight,
  channelOutcomes,
  channelRejected,
  channelRetries,
} from '../metrics/channels.js';
import type { WalletCode } from '../terminals/types.js';
import { type BreakerOptions, CircuitBreaker, DEFAULT_BREAKER } from './breaker.js';
import type { ChannelOperation, ChannelResult } from './channel.js';
import { BusyError, ConcurrencyLimiter } from './limiter.js';

export interface GuardOptions {
  /** Per-attempt deadline, ms. */
  timeoutMs: number;
  maxConcurrent: number;
  maxQueued?: number;
  breaker: BreakerOptions;
  /** Extra attempts for idempotent operations whose outcome is unknown. */
  retries: number;
  /** First retry delay, doubled each time. */
  retryDelayMs: number;
}

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

const BREAKER_GAUGE = { closed: 0, 'half-open': 1, open: 2 } as const;

export type Attempt = (signal: AbortSignal) => Promise<ChannelResult>;

export class CallGuard {
  readonly breaker: CircuitBreaker;
  private readonly limiter: ConcurrencyLimiter;
  private readonly options: GuardOptions;

  constructor(
    readonly wallet: WalletCode,
    options: Partial<GuardOptions> = {},
    private readonly logger: Logger = silentLogger,
  ) {
    this.options = { ...DEFAULT_GUARD, ...options };
    this.limiter = new ConcurrencyLimiter(this.options.maxConcurrent, this.options.maxQueued);
    this.breaker = new CircuitBreaker({
      ...this.options.breaker,
      onStateChange: (state) => {
        channelBreakerState.set({ wallet }, BREAKER_GAUGE[state]);
        this.logger.warn({ wallet, breaker: state }, 'channel breaker state changed');
        this.options.breaker.onStateChange?.(state);
      },
    });
    channelBreakerState.set({ wallet }, 0);
  }

  async run(op: ChannelOperation, attempt: Attempt): Promise<ChannelResult> {
    const maxAttempts = IDEMPOTENT.has(op) ? 1 + this.options.retries : 1;
    let result: ChannelResult = rejected('NOT_ATTEMPTED', 'not attempted');
    for (let n = 0; n < maxAttempts; n++) {
      if (n > 0) {
        channelRetries.inc({ wallet: this.wallet, op });
        await sleep(this.options.retryDelayMs * 2 ** (n - 1));
      }
      result = await this.once(op, attempt);
      if (result.outcome !== 'unknown') break;
    }
    channelOutcomes.inc({ wallet: this.wallet, op, outcome: result.outcome });
    if (result.outcome === 'unknown') this.logger.warn({ wallet: this.wallet, op, code: result.walletCode }, 'unknown');
    return result;
  }

  private async once(op: ChannelOperation, attempt: Attempt): Promise<ChannelResult> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutError()), this.options.timeoutMs);
    let release: (() => void) | undefined;
    try {
      release = await this.limiter.acquire(controller.signal);
    } catch (err) {
      clearTimeout(timer);
      if (!(err instanceof BusyError)) throw err;
      channelRejected.inc({ wallet: this.wallet, reason: 'busy' });
      return rejected('BUSY', err.message);
    }
    if (!this.breaker.tryAcquire()) {
      clearTimeout(timer);
      release();
      channelRejected.inc({ wallet: this.wallet, reason: 'breaker-open' });
      return rejected('BREAKER_OPEN', 'wallet circuit breaker is open');
    }
    const stop = channelCallSeconds.startTimer({ wallet: this.wallet, op });
    channelInFlight.inc({ wallet: this.wallet });
    try {
      const result = await raceAbort(attempt(controller.signal), controller.signal);
      if (countsAsFailure(result)) this.breaker.failure();
      else this.breaker.success();
      return result;
    } catch (err) {
      this.breaker.failure();
      return fromError(err, controller.signal);
    } finally {
      stop();
      clearTimeout(timer);
      channelInFlight.dec({ wallet: this.wallet });
      release();
    }
  }
}

export class TimeoutError extends Error {
  override name = 'TimeoutError';
  constructor() {
    super('wallet call timed out');
  }
}

/** The attempt settles or the deadline wins, whichever is first; the abort also cancels the request. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function countsAsFailure(result: ChannelResult): boolean {
  return result.outcome === 'unknown';
}

function rejected(walletCode: string, walletMessage: string): ChannelResult {
  return { outcome: 'failed', reason: 'channel-unavailable', walletCode, walletMessage };
}

function fromError(err: unknown, signal: AbortSignal): ChannelResult {
  if (signal.aborted || err instanceof TimeoutError) {
    return { outcome: 'unknown', reason: 'timeout', walletCode: 'TIMEOUT', walletMessage: 'no answer in time' };
  }
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof NotSentError) return rejected('NOT_SENT', message);
  return { outcome: 'unknown', reason: 'system-error', walletCode: 'TRANSPORT', walletMessage: message };
}
