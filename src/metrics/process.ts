// Process metrics: prom-client's default set (CPU, RSS, heap and heap spaces, GC pauses by kind,
// event-loop delay percentiles, open handles and file descriptors) under the boxfep_ prefix, plus
// event-loop utilisation — the share of wall time the loop spent running code rather than
// waiting, which is what saturates first on a 2-core box before latency shows it — and V8's heap
// limit, which the heap in use must stay under.
// Importing this module registers them once on the shared registry; whoever serves /metrics
// imports it.
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { Counter, collectDefaultMetrics, Gauge } from 'prom-client';
import { PREFIX, registry } from './registry.js';

const before = new Set(registry.getMetricsAsArray().map((m) => m.name));
collectDefaultMetrics({
  register: registry,
  prefix: PREFIX,
  // 10 ms resolution is prom-client's default; finer costs a timer wake-up per millisecond.
  eventLoopMonitoringPrecision: 10,
  // GC pauses of a few hundred microseconds are the common case: the default buckets start at 1 ms.
  gcDurationBuckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
});

/**
 * The names prom-client chose (prefixed). They keep upstream spelling, which every Node.js dashboard
 * expects — including three gauges that end in _total (nodejs_active_handles_total…) against the
 * convention; the catalogue check exempts these names from that one rule.
 */
export const DEFAULT_METRIC_NAMES: ReadonlySet<string> = new Set(
  registry
    .getMetricsAsArray()
    .map((m) => m.name)
    .filter((n) => !before.has(n)),
);

/**
 * A counter, not a gauge of "utilisation since the last scrape", so several scrapers do not steal
 * each other's intervals: `rate(boxfep_nodejs_eventloop_busy_seconds_total[1m])` is the utilisation
 * (0…1) over any window.
 */
let last = performance.eventLoopUtilization();

export const eventLoopBusy = new Counter({
  name: `${PREFIX}nodejs_eventloop_busy_seconds_total`,
  help: 'Time the event loop spent running callbacks (not waiting for I/O); its rate is the utilisation.',
  registers: [registry],
  collect() {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, last);
    last = now;
    this.inc(delta.active / 1000);
  },
});

/**
 * V8's heap limit (`--max-old-space-size`, or its default from the machine's memory: ~4 GB on a 24 GB
 * host). A heap that reaches it aborts the process — with the memory store, every order and request
 * record with it — so `boxfep_nodejs_heap_size_used_bytes` over this is what the BoxfepHeapNearLimit
 * alert watches. prom-client's default set has the heap's size and use, not its limit.
 */
export const heapSizeLimit = new Gauge({
  name: `${PREFIX}nodejs_heap_size_limit_bytes`,
  help: 'V8 heap size limit (--max-old-space-size or its default); the process aborts when the heap reaches it.',
  registers: [registry],
  collect() {
    this.set(getHeapStatistics().heap_size_limit);
  },
});
