// Crypto metrics: the pool's queue depth, task wait and run times, batch sizes, and jobs by
// operation and outcome. Labels are fixed small sets (op names, outcomes), never key or box ids.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { KeyCacheStats } from '../crypto/lmk.js';
import { CounterCells } from './cells.js';
import { PREFIX, registry } from './registry.js';

const registers = [registry];

export const cryptoQueueDepth = new Gauge({
  name: `${PREFIX}crypto_queue_depth`,
  help: 'Crypto jobs accepted and not yet finished (waiting for a batch, queued, or running in a worker).',
  registers,
});

export const cryptoTaskWait = new Histogram({
  name: `${PREFIX}crypto_task_wait_seconds`,
  help: 'Time a pool task spent between dispatch and the start of its run in a worker (queueing and transfer).',
  buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
  registers,
});

export const cryptoTaskRun = new Histogram({
  name: `${PREFIX}crypto_task_run_seconds`,
  help: 'Time a pool task spent running in a worker.',
  buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
  registers,
});

export const cryptoBatchSize = new Histogram({
  name: `${PREFIX}crypto_batch_size`,
  help: 'Jobs per pool task.',
  buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
  registers,
});

export const cryptoJobs = new Counter({
  name: `${PREFIX}crypto_jobs_total`,
  help: 'Crypto jobs by operation (mac, verify, dukpt, ...) and outcome (ok, error, queue-full, worker-crashed, closed).',
  labelNames: ['op', 'outcome'] as const,
  registers,
  collect() {
    jobCells.flush();
  },
});

const jobCells = new CounterCells(cryptoJobs, 'op', 'outcome');

/** Count `n` jobs: an add to the (op, outcome) cell, handed to the counter when it is read. */
export function countCryptoJobs(op: string, outcome: string, n = 1): void {
  jobCells.of2(op, outcome).inc(n);
}

/** The opened-key caches of this process's crypto services (one per FEP), read at scrape time. */
const keyCacheSources = new Set<() => KeyCacheStats | undefined>();

/** One figure of every tracked key cache, added up. */
function keyCacheTotal(figure: keyof KeyCacheStats): number {
  let total = 0;
  for (const source of keyCacheSources) total += source()?.[figure] ?? 0;
  return total;
}

export const cryptoKeyCacheKeys = new Gauge({
  name: `${PREFIX}crypto_key_cache_keys`,
  help: 'Opened keys held by the key cache of the crypto engine on the event loop (every request MAC goes through it).',
  registers,
  collect() {
    this.set(keyCacheTotal('keys'));
  },
});

export const cryptoKeyCacheCapacity = new Gauge({
  name: `${PREFIX}crypto_key_cache_capacity`,
  help: 'Most opened keys the key cache holds (--key-cache-size); below the boxes served, MACs miss it.',
  registers,
  collect() {
    this.set(keyCacheTotal('capacity'));
  },
});

export const cryptoKeyCacheLookups = new Counter({
  name: `${PREFIX}crypto_key_cache_lookups_total`,
  help: 'Key cache lookups by result (hit; miss: the key blob was opened under the LMK again, ~40x a hit).',
  labelNames: ['result'] as const,
  registers,
  collect() {
    // The caches keep the totals; the counter is set to them (reset, then one add per label).
    this.reset();
    this.inc({ result: 'hit' }, keyCacheTotal('hits'));
    this.inc({ result: 'miss' }, keyCacheTotal('misses'));
  },
});

/** Reports a crypto service's key cache until the returned function is called. */
export function trackKeyCache(stats: () => KeyCacheStats | undefined): () => void {
  keyCacheSources.add(stats);
  return () => keyCacheSources.delete(stats);
}
