// Box-server metrics: frames, decode errors, MAC failures, connections, backpressure and
// per-transaction outcomes. Labels stay low-cardinality: never a TID, MID or RRN.
import { Counter, Gauge, Histogram } from 'prom-client';
import { CounterCell, CounterCells, HistogramCells } from './cells.js';
import { PREFIX, registry } from './registry.js';

const registers = [registry];

// The per-frame and per-transaction series are counted in cells (./cells.ts) and handed to
// prom-client when read: the hot path does no label hashing.

export const framesIn = new Counter({
  name: `${PREFIX}server_frames_in_total`,
  help: 'Frames received from boxes, by listener.',
  labelNames: ['listener'] as const,
  registers,
  collect() {
    framesInCells.flush();
  },
});
/** framesIn by listener: `framesInCells.of(listener).inc()`. */
export const framesInCells = new CounterCells(framesIn, 'listener');

export const framesOut = new Counter({
  name: `${PREFIX}server_frames_out_total`,
  help: 'Frames sent to boxes (responses and pushes), by listener.',
  labelNames: ['listener'] as const,
  registers,
  collect() {
    framesOutCells.flush();
  },
});
/** framesOut by listener: `framesOutCells.of(listener).inc()`. */
export const framesOutCells = new CounterCells(framesOut, 'listener');

export const bytesIn = new Counter({
  name: `${PREFIX}server_received_bytes_total`,
  help: 'Bytes received from boxes.',
  registers,
  collect() {
    if (bytesInCell.pending === 0) return;
    this.inc(bytesInCell.pending);
    bytesInCell.pending = 0;
  },
});
/** bytesIn, counted as `bytesInCell.inc(n)`. */
export const bytesInCell = new CounterCell({});

export const decodeErrors = new Counter({
  name: `${PREFIX}server_decode_errors_total`,
  help: 'Frames that could not be used, by kind (too-long, bad-length, too-short, codec-answered, codec-closed).',
  labelNames: ['kind'] as const,
  registers,
});

export const macFailures = new Counter({
  name: `${PREFIX}server_mac_failures_total`,
  help: 'Requests whose MAC did not verify.',
  registers,
});

export const contextRechecks = new Counter({
  name: `${PREFIX}server_context_rechecks_total`,
  help:
    'Refusals decided on a cached terminal context (Redis store) and decided again on a fresh read: a change ' +
    'made on another node may not have reached the cache yet.',
  registers,
});

export const connectionsCurrent = new Gauge({
  name: `${PREFIX}server_connections`,
  help: 'Box connections currently open.',
  registers,
});

export const connectionsAccepted = new Counter({
  name: `${PREFIX}server_connections_accepted_total`,
  help: 'Box connections accepted.',
  registers,
});

export const connectionsClosed = new Counter({
  name: `${PREFIX}server_connections_closed_total`,
  help: 'Box connections closed, by reason.',
  labelNames: ['reason'] as const,
  registers,
});

let requestsInFlight = 0;

export const inFlight = new Gauge({
  name: `${PREFIX}server_in_flight_requests`,
  help: 'Requests being processed.',
  registers,
  collect() {
    this.set(requestsInFlight);
  },
});

/** A request started (+1) or finished (-1): kept as a number, the gauge is set when read. */
export function countInFlight(delta: 1 | -1): void {
  requestsInFlight += delta;
}

export const backpressurePauses = new Counter({
  name: `${PREFIX}server_backpressure_pauses_total`,
  help: 'Times reading was paused, by cause (write, queue, global).',
  labelNames: ['cause'] as const,
  registers,
});

export const transactions = new Counter({
  name: `${PREFIX}server_transactions_total`,
  help: 'Answered requests by transaction type and response code.',
  labelNames: ['type', 'rc'] as const,
  registers,
  collect() {
    transactionCells.flush();
  },
});
/** transactions by (type, rc): `transactionCells.of2(type, rc).inc()`. */
export const transactionCells = new CounterCells(transactions, 'type', 'rc');

/** Dense 1–100 ms (where sign-on, echo and MACed exchanges land), sparse up to the 45 s pay deadline. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20,
  30, 45, 60,
];

export const latency = new Histogram({
  name: `${PREFIX}server_request_duration_seconds`,
  help: 'Time from a complete frame to its response being queued, by transaction type.',
  labelNames: ['type'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
  collect() {
    latencyCells.flush();
  },
});
/** latency by type: `latencyCells.of(type).observe(seconds)`. */
export const latencyCells = new HistogramCells(latency, 'type', LATENCY_BUCKETS);

export const pushes = new Counter({
  name: `${PREFIX}server_pushes_total`,
  help: 'FEP-initiated messages (0620) by outcome (acked, timeout, offline, error).',
  labelNames: ['outcome'] as const,
  registers,
  collect() {
    pushCells.flush();
  },
});
/** pushes by outcome: `pushCells.of(outcome).inc()`. */
export const pushCells = new CounterCells(pushes, 'outcome');
