// State-layer metrics: how long each store operation takes and how often it fails, by kind.
import { Counter, Histogram } from 'prom-client';
import { CounterCells, HistogramCells } from './cells.js';
import { PREFIX, registry } from './registry.js';

const COMMAND_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

export const storeCommandSeconds = new Histogram({
  name: `${PREFIX}store_command_seconds`,
  help: 'Latency of store operations (one Redis round trip each on the hot path), by operation and backend.',
  labelNames: ['op', 'backend'] as const,
  buckets: COMMAND_BUCKETS,
  registers: [registry],
  collect() {
    storeCommandCells.flush();
  },
});
/**
 * storeCommandSeconds in cells (./cells.ts), read as if observed directly: a store command does no
 * label hashing. `storeCommandCells.of2(op, backend).observe(s)`.
 */
export const storeCommandCells = new HistogramCells(storeCommandSeconds, ['op', 'backend'], COMMAND_BUCKETS);

export const storeErrorsTotal = new Counter({
  name: `${PREFIX}store_errors_total`,
  help: 'Store operations that failed, by operation and kind (timeout, connection, overloaded, closed, reply).',
  labelNames: ['op', 'kind'] as const,
  registers: [registry],
});

export const terminalCacheLookups = new Counter({
  name: `${PREFIX}store_terminal_cache_lookups_total`,
  help:
    'Terminal contexts looked up in the node cache (Redis store), by result: hit, miss, or bypass (the cache is ' +
    'not live: its invalidations are not arriving).',
  labelNames: ['result'] as const,
  registers: [registry],
  collect() {
    terminalCacheCells.flush();
  },
});
/** terminalCacheLookups in cells (./cells.ts): `terminalCacheCells.of(result).inc()`. */
export const terminalCacheCells = new CounterCells(terminalCacheLookups, 'result');

export const terminalCacheDropped = new Counter({
  name: `${PREFIX}store_terminal_cache_dropped_total`,
  help:
    'Terminal contexts dropped from the node cache, by cause: changed (an invalidation for the terminal), expired ' +
    '(working keys, a MAC-failure run or the maximum age), lost (the invalidations stopped or restarted).',
  labelNames: ['cause'] as const,
  registers: [registry],
  collect() {
    terminalCacheDropCells.flush();
  },
});
/** terminalCacheDropped in cells: `terminalCacheDropCells.of(cause).inc()`. */
export const terminalCacheDropCells = new CounterCells(terminalCacheDropped, 'cause');

export const terminalCacheInvalidations = new Counter({
  name: `${PREFIX}store_terminal_cache_invalidations_total`,
  help:
    'Invalidations received by the node cache: a terminal record, working keys or MAC-failure count changed, on ' +
    'this node or another.',
  registers: [registry],
});
