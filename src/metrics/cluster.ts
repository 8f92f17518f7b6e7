// Metrics of `boxfep serve --workers N`: the primary counts its workers and their restarts; each
// worker reports the box connections it holds under its slot number (1…N, kept across restarts), so
// the one aggregated /metrics still shows how the connections are spread. Everything else is summed
// over the workers by prom-client's AggregatorRegistry.
import { Counter, Gauge } from 'prom-client';
import { PREFIX, registry } from './registry.js';

export const workersLive = new Gauge({
  name: `${PREFIX}cluster_workers`,
  help: 'Worker processes running and serving (serve --workers N; absent with one process).',
  registers: [registry],
  aggregator: 'max',
});

export const workerRestarts = new Counter({
  name: `${PREFIX}cluster_worker_restarts_total`,
  help: 'Workers that died unexpectedly and were started again by the primary (after a backoff).',
  registers: [registry],
});

let connectionsSource: { slot: string; count: () => number } | undefined;

/** In a worker: report `count()` as this slot's box connections at every scrape. */
export function trackWorkerConnections(slot: number, count: () => number): void {
  connectionsSource = { slot: String(slot), count };
}

export const workerConnections = new Gauge({
  name: `${PREFIX}cluster_worker_connections`,
  help: 'Box connections held by each worker (worker = slot 1…N; a restarted worker keeps its slot).',
  labelNames: ['worker'] as const,
  registers: [registry],
  collect() {
    this.reset();
    if (connectionsSource) this.set({ worker: connectionsSource.slot }, connectionsSource.count());
  },
});
