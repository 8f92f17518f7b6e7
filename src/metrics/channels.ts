// Wallet channel metrics. Labels: wallet (WX/AL/UP), op (pay, query…), outcome, reason — all from
// small closed sets; never an order number or terminal id.
import { Counter, Gauge, Histogram } from 'prom-client';
import { CounterCells, GaugeCells, HistogramCells } from './cells.js';
import { PREFIX, registry } from './registry.js';

const registers = [registry];

// The per-call series (attempt latency, outcome, calls in flight) are counted in cells (./cells.ts)
// and handed to prom-client when read: a wallet call does no label hashing.

const CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const channelCallSeconds = new Histogram({
  name: `${PREFIX}channels_call_seconds`,
  help: 'Latency of one wallet call attempt, by wallet and operation',
  labelNames: ['wallet', 'op'] as const,
  buckets: CALL_BUCKETS,
  registers,
  collect() {
    channelCallCells.flush();
  },
});
/** channelCallSeconds by wallet and op: `channelCallCells.of2(wallet, op).observe(s)`. */
export const channelCallCells = new HistogramCells(channelCallSeconds, ['wallet', 'op'], CALL_BUCKETS);

export const channelOutcomes = new Counter({
  name: `${PREFIX}channels_outcomes_total`,
  help: 'Final outcome of wallet calls (after retries), by wallet, operation and outcome',
  labelNames: ['wallet', 'op', 'outcome'] as const,
  registers,
  collect() {
    channelOutcomeCells.flush();
  },
});
/** channelOutcomes: `channelOutcomeCells.cell({ wallet, op, outcome })`, kept by the caller. */
export const channelOutcomeCells = new CounterCells(channelOutcomes, 'wallet', 'op', 'outcome');

export const channelRetries = new Counter({
  name: `${PREFIX}channels_retries_total`,
  help: 'Retries of idempotent wallet calls',
  labelNames: ['wallet', 'op'] as const,
  registers,
});

export const channelRejected = new Counter({
  name: `${PREFIX}channels_rejected_total`,
  help: 'Calls refused before reaching the wallet (breaker-open, queue-full, queue-timeout, duplicate-key…)',
  labelNames: ['wallet', 'reason'] as const,
  registers,
});

export const channelBreakerState = new Gauge({
  name: `${PREFIX}channels_breaker_state`,
  help: 'Circuit breaker state per wallet: 0 closed, 1 half-open, 2 open',
  labelNames: ['wallet'] as const,
  registers,
  // With --workers N each process has its own breaker; the worst one is what an operator needs to see.
  aggregator: 'max',
});

export const channelInFlight = new Gauge({
  name: `${PREFIX}channels_in_flight`,
  help: 'Wallet calls in flight',
  labelNames: ['wallet'] as const,
  registers,
  collect() {
    channelInFlightCells.flush();
  },
});
/** channelInFlight by wallet: `channelInFlightCells.of(wallet).inc()` / `.dec()`. */
export const channelInFlightCells = new GaugeCells(channelInFlight, 'wallet');

export const channelQueued = new Gauge({
  name: `${PREFIX}channels_queued`,
  help: 'Wallet calls waiting for a concurrency slot',
  labelNames: ['wallet'] as const,
  registers,
});

export const channelQueueWaitSeconds = new Histogram({
  name: `${PREFIX}channels_queue_wait_seconds`,
  help: 'Time a wallet call attempt waited for a concurrency slot (granted or not)',
  labelNames: ['wallet'] as const,
  buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers,
});

/** Sources of open-connection counts (HTTP pools, host links), summed per wallet at scrape time. */
const connectionSources = new Set<{ wallet: string; count(): number }>();

export const channelOpenConnections = new Gauge({
  name: `${PREFIX}channels_open_connections`,
  help: 'Open connections from boxfep to each wallet',
  labelNames: ['wallet'] as const,
  registers,
  collect() {
    this.reset();
    for (const source of connectionSources) this.inc({ wallet: source.wallet }, source.count());
  },
});

/** Registers a connection counter; returns the function that unregisters it. */
export function trackConnections(wallet: string, count: () => number): () => void {
  const source = { wallet, count };
  connectionSources.add(source);
  return () => connectionSources.delete(source);
}

export const channelUnmatchedReplies = new Counter({
  name: `${PREFIX}channels_unmatched_replies_total`,
  help: 'Replies from the UnionPay host that matched no request in flight',
  labelNames: ['wallet'] as const,
  registers,
});

export const channelHeartbeats = new Counter({
  name: `${PREFIX}channels_heartbeats_total`,
  help: 'Echo heartbeats on host links, by result (ok, missed)',
  labelNames: ['wallet', 'result'] as const,
  registers,
});

export const channelReconnects = new Counter({
  name: `${PREFIX}channels_reconnects_total`,
  help: 'Host link reconnect attempts',
  labelNames: ['wallet'] as const,
  registers,
});

export const channelNotifications = new Counter({
  name: `${PREFIX}channels_notifications_total`,
  help: 'Inbound wallet notifications by result (accepted, duplicate, stale, rejected)',
  labelNames: ['wallet', 'result'] as const,
  registers,
  collect() {
    channelNotificationCells.flush();
  },
});
/** channelNotifications in cells: `channelNotificationCells.of2(wallet, result).inc()`. */
export const channelNotificationCells = new CounterCells(channelNotifications, 'wallet', 'result');

export const channelBadSignatures = new Counter({
  name: `${PREFIX}channels_bad_signatures_total`,
  help: 'Wallet responses whose signature did not verify (treated as unknown)',
  labelNames: ['wallet'] as const,
  registers,
});
