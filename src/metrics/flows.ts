// Transaction-flow metrics. Per-transaction counts and latency by type and response code are the
// server's (boxfep_server_transactions_total, boxfep_server_transaction_seconds); these count what
// only the flows know. Labels stay low-cardinality: never a TID, MID, RRN or payment code.
import { Counter, Gauge } from 'prom-client';
import { CounterCells, GaugeCell } from './cells.js';
import { PREFIX, registry } from './registry.js';

const registers = [registry];

export const duplicates = new Counter({
  name: `${PREFIX}flows_duplicates_total`,
  help: 'Repeated box requests, by what happened: replay, mismatch (94), reversed (94), in-progress.',
  labelNames: ['type', 'result'] as const,
  registers,
});

export const limitRefusals = new Counter({
  name: `${PREFIX}flows_limit_refusals_total`,
  help: 'Sales refused by merchant limits, by limit (per-transaction, daily-amount, daily-count).',
  labelNames: ['limit'] as const,
  registers,
});

export const settledBy = new Counter({
  name: `${PREFIX}flows_sale_settled_total`,
  help: 'How B2C sales ended: approved, declined, paying-timeout (cancelled at the deadline), cancelled, unknown.',
  labelNames: ['wallet', 'result'] as const,
  registers,
  collect() {
    settledByCells.flush();
  },
});
/** settledBy in cells (./cells.ts), once per sale: `settledByCells.of2(wallet, result).inc()`. */
export const settledByCells = new CounterCells(settledBy, 'wallet', 'result');

export const walletQueries = new Counter({
  name: `${PREFIX}flows_wallet_queries_total`,
  help: 'Order queries the flows sent to wallets while a payment was pending, by wallet.',
  labelNames: ['wallet'] as const,
  registers,
});

export const c2bResults = new Counter({
  name: `${PREFIX}flows_c2b_results_total`,
  help: 'C2B orders finished, by how the result was learned (notification, poll) and state (paid, closed).',
  labelNames: ['source', 'state'] as const,
  registers,
  collect() {
    c2bResultCells.flush();
  },
});
/** c2bResults in cells, once per C2B order: `c2bResultCells.of2(source, state).inc()`. */
export const c2bResultCells = new CounterCells(c2bResults, 'source', 'state');

export const pushAttempts = new Counter({
  name: `${PREFIX}flows_push_attempts_total`,
  help: '0620 payment-result pushes sent, by attempt kind (first, resend, reconnect, relay: announced by another node) and outcome (relayed: the box is on another node).',
  labelNames: ['kind', 'outcome'] as const,
  registers,
  collect() {
    pushAttemptCells.flush();
  },
});
/** pushAttempts in cells, once per push sent: `pushAttemptCells.of2(kind, outcome).inc()`. */
export const pushAttemptCells = new CounterCells(pushAttempts, 'kind', 'outcome');

export const recovered = new Counter({
  name: `${PREFIX}flows_recovered_total`,
  help: 'Orders the background resolver looked at, by order kind and result.',
  labelNames: ['kind', 'result'] as const,
  registers,
});

export const settlements = new Counter({
  name: `${PREFIX}flows_settlements_total`,
  help: 'Batch settlements, by result (balanced, unbalanced).',
  labelNames: ['result'] as const,
  registers,
});

export const pushesAwaitingAck = new Gauge({
  name: `${PREFIX}flows_pushes_awaiting_ack`,
  help: '0620 pushes this node has sent and is waiting on a 0630 for.',
  registers,
  collect() {
    pushesAwaitingAckCell.flush();
  },
});
/** pushesAwaitingAck moved by `.inc()` / `.dec()` around each push (the gauge has no labels). */
export const pushesAwaitingAckCell = new GaugeCell(pushesAwaitingAck, {});

export const pushesDue = new Gauge({
  name: `${PREFIX}flows_pushes_due`,
  help: 'Pushes due for (re)sending found by the last push pass (capped at the pass size, 200).',
  registers,
});

export const recoveryRuns = new Counter({
  name: `${PREFIX}flows_recovery_runs_total`,
  help: 'Recovery resolver passes, by result (ran, standby: another node holds the lease, lease-lost, failed).',
  labelNames: ['result'] as const,
  registers,
});

export const recoveryDue = new Gauge({
  name: `${PREFIX}flows_recovery_due_orders`,
  help: 'Orders due for recovery that the last pass found: all due orders, unless its time budget ran out first.',
  registers,
});

export const recoveryLastRun = new Gauge({
  name: `${PREFIX}flows_recovery_last_run_timestamp_seconds`,
  help: 'Unix time of the last recovery pass this node completed while holding the lease.',
  registers,
});
