// Readiness as series: the same checks /readyz runs (listeners up, store answering, crypto started,
// not draining), evaluated at scrape time, so an alert can say "store down" from one gauge rather
// than inferring it from error rates — and a scrape that fails entirely is `up == 0` instead.
import { Gauge } from 'prom-client';
import { PREFIX, registry } from './registry.js';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, boolean>;
}

type ReadinessSource = () => Promise<ReadinessReport>;

let source: ReadinessSource | undefined;

/** Makes `fn` the readiness source read at scrape time; returns the function that removes it. */
export function trackReadiness(fn: ReadinessSource): () => void {
  source = fn;
  return () => {
    if (source === fn) source = undefined;
  };
}

/** One evaluation per scrape, shared by both gauges (their collects run in the same scrape). */
let pending: Promise<ReadinessReport | undefined> | undefined;

function evaluate(): Promise<ReadinessReport | undefined> {
  if (!pending) {
    pending = (source?.() ?? Promise.resolve(undefined)).catch(() => ({ ready: false, checks: {} }));
    pending.finally(() => setImmediate(() => (pending = undefined)));
  }
  return pending;
}

export const readyGauge = new Gauge({
  name: `${PREFIX}ready`,
  help: '1 when boxfep would answer /readyz with 200 (every readiness check passes), else 0.',
  registers: [registry],
  async collect() {
    const report = await evaluate();
    this.reset();
    if (report) this.set(report.ready ? 1 : 0);
  },
});

export const readinessCheckGauge = new Gauge({
  name: `${PREFIX}ready_check`,
  help: 'Each readiness check: 1 passing, 0 failing (check = listeners, store, crypto).',
  labelNames: ['check'] as const,
  registers: [registry],
  async collect() {
    const report = await evaluate();
    this.reset();
    for (const [check, ok] of Object.entries(report?.checks ?? {})) this.set({ check }, ok ? 1 : 0);
  },
});
