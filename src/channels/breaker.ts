// A circuit breaker per connector: after `failureThreshold` consecutive failures (timeouts, transport
// errors, wallet system errors) it opens and refuses calls for `openMs`; then it lets
// `halfOpenProbes` calls through, and the first probe result decides: success closes it, failure
// re-opens it. Business refusals (insufficient funds…) are successes for the breaker.

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerOptions {
  failureThreshold: number;
  openMs: number;
  halfOpenProbes: number;
  /** Injected for tests. */
  now?: () => number;
  onStateChange?: (state: BreakerState) => void;
}

export const DEFAULT_BREAKER: BreakerOptions = { failureThreshold: 5, openMs: 5_000, halfOpenProbes: 1 };

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probes = 0;
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions = DEFAULT_BREAKER) {
    this.now = options.now ?? Date.now;
  }

  get state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.options.openMs) this.transition('half-open');
    return this.current;
  }

  /** Asks for permission to call; a true answer must be followed by exactly one success() or failure(). */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.probes >= this.options.halfOpenProbes) return false;
    this.probes++;
    return true;
  }

  success(): void {
    this.failures = 0;
    if (this.current !== 'closed') this.transition('closed');
  }

  failure(): void {
    this.failures++;
    if (this.current === 'half-open' || (this.current === 'closed' && this.failures >= this.options.failureThreshold)) {
      this.openedAt = this.now();
      this.transition('open');
    }
  }

  private transition(state: BreakerState): void {
    this.current = state;
    this.probes = 0;
    this.options.onStateChange?.(state);
  }
}
