// Transaction-flow metrics. Per-transaction counts and latency by type and response code are the
// server's (boxfep_server_transactions_total, boxfep_server_transaction_seconds); these count what
// only the flows know. Labels stay low-cardinality: never a TID, MID, RRN or payment code.
import { Counter } from 'prom-client';
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
});

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
});

export const pushAttempts = new Counter({
  name: `${PREFIX}flows_push_attempts_total`,
  help: '0620 payment-result pushes sent, by attempt kind (first, resend, reconnect) and outcome.',
  labelNames: ['kind', 'outcome'] as const,
  registers,
});

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
