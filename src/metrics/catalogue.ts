// The metric catalogue: every series boxfep can export, read from the shared registry after loading
// each src/metrics/<area> module, and the naming rules they must follow (Prometheus conventions).
// Tests hold the dashboard, the alert rules and docs/operations.md against it, so a renamed metric
// cannot silently leave a panel or an alert empty.
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registry } from './registry.js';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface MetricInfo {
  name: string;
  type: MetricType;
  help: string;
  labels: string[];
}

/** Label names that would give a series per terminal, merchant or transaction. */
export const FORBIDDEN_LABELS = ['tid', 'mid', 'rrn', 'stan', 'terminal', 'merchant', 'order', 'pan', 'code', 'ksn'];

/** Imports every metrics module next to this one (each registers its metrics on import). */
export async function loadAllMetrics(): Promise<string[]> {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const self = basename(fileURLToPath(import.meta.url));
  const modules = readdirSync(here)
    .filter((f) => f.endsWith('.js') && f !== self)
    .sort();
  for (const file of modules) await import(new URL(file, import.meta.url).href);
  return modules;
}

/** The registry's metrics, sorted by name. */
export function catalogue(): MetricInfo[] {
  return registry
    .getMetricsAsArray()
    .map((m) => {
      const metric = m as unknown as { name: string; help: string; type: MetricType; labelNames?: string[] };
      return { name: metric.name, type: metric.type, help: metric.help, labels: [...(metric.labelNames ?? [])] };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The sample names a metric produces in the exposition format (what PromQL can select). */
export function seriesNames(m: MetricInfo): string[] {
  if (m.type === 'histogram') return [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`];
  if (m.type === 'summary') return [m.name, `${m.name}_sum`, `${m.name}_count`];
  return [m.name];
}

/** Every selectable series name, mapped to the metric that produces it. */
export function seriesIndex(metrics: MetricInfo[]): Map<string, MetricInfo> {
  const index = new Map<string, MetricInfo>();
  for (const m of metrics) for (const s of seriesNames(m)) index.set(s, m);
  return index;
}

const NON_BASE_UNITS = /_(ms|millis|milliseconds|us|micros|microseconds|ns|minutes|hours|kb|kib|mb|mib|percent)(_|$)/;

/**
 * Violations of the naming rules, one line each; empty when the catalogue is clean. `upstream`
 * names (prom-client's default metrics) may keep their established `_total` gauges.
 */
export function namingProblems(
  metrics: MetricInfo[],
  opts: { prefix?: string; upstream?: ReadonlySet<string> } = {},
): string[] {
  const prefix = opts.prefix ?? 'boxfep_';
  const upstream = opts.upstream ?? new Set<string>();
  const problems: string[] = [];
  for (const m of metrics) {
    const say = (why: string) => problems.push(`${m.name}: ${why}`);
    if (!m.name.startsWith(prefix)) say(`does not start with ${prefix}`);
    if (!/^[a-z][a-z0-9_]*$/.test(m.name)) say('is not snake_case');
    if (m.type === 'counter' && !m.name.endsWith('_total')) say('is a counter without the _total suffix');
    if (m.type !== 'counter' && m.name.endsWith('_total') && !upstream.has(m.name))
      say(`is a ${m.type} but ends in _total`);
    if (NON_BASE_UNITS.test(m.name)) say('uses a non-base unit (use seconds, bytes or a ratio)');
    if (/(duration|latency|_time|_wait|_run)(_|$)/.test(m.name) && m.type === 'histogram' && !/_seconds$/.test(m.name))
      say('measures time but does not end in _seconds');
    if (!m.help.trim()) say('has no help text');
    for (const l of m.labels) {
      if (FORBIDDEN_LABELS.includes(l.toLowerCase())) say(`has the high-cardinality label '${l}'`);
      if (l === 'le' || l === 'quantile') say(`uses the reserved label '${l}'`);
    }
  }
  return problems;
}
