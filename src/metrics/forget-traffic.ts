// After the start-up warm-up (src/runtime/warm-up.ts) its synthetic transactions must not show on
// /metrics: the series of boxfep's own metrics are reset, so the first scrape counts real traffic
// only. The process metrics stay (CPU, memory, GC and event-loop time the warm-up really spent).
import { DEFAULT_METRIC_NAMES, eventLoopBusy } from './process.js';
import { registry } from './registry.js';

export async function forgetTraffic(): Promise<void> {
  // Reading runs every collect hook first: the hot-path cells hand over what they counted, so
  // nothing counted before the reset is added after it.
  await registry.getMetricsAsJSON();
  for (const { name } of registry.getMetricsAsArray()) {
    const metric = registry.getSingleMetric(name);
    if (metric === undefined || metric === eventLoopBusy || DEFAULT_METRIC_NAMES.has(name)) continue;
    metric.reset();
  }
}
