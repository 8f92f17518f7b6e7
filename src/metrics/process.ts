// Process metrics: prom-client's default set (CPU, RSS, heap and heap spaces, GC pauses by kind,
// event-loop delay percentiles, open handles and file descriptors) under the boxfep_ prefix, plus
// event-loop utilisation — the share of wall time the loop spent running code rather than
// waiting, which is what saturates first on a 2-core box before latency shows it.
// Importing this module registers them once on the shared registry; whoever serves /metrics
// imports it.
import { performance } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics } from 'prom-client';
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
