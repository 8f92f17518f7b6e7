// Reading this process's own metrics in a test: the registry's current total of a counter or gauge,
// over the series whose labels include `labels`.
import { registry } from '../../src/metrics/registry.js';

export async function seriesTotal(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((sum, v) => sum + v.value, 0);
}
