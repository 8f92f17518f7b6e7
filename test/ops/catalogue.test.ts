// The dashboard and the alert rules name only series boxfep exports: collected from the registry
// after loading every src/metrics module (histograms as _bucket/_sum/_count), plus the series the
// recording rules in alerts.yml define and Prometheus's own (up, ALERTS).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { catalogue, loadAllMetrics, seriesIndex } from '../../src/metrics/catalogue.js';
import { repoRoot } from '../helpers/paths.js';
import { BUILTIN_SERIES, metricNames, readRules } from './helpers/promql.js';

await loadAllMetrics();
const exported = seriesIndex(catalogue());
const rules = readRules(join(repoRoot, 'ops', 'alerts.yml'));
const recorded = new Set(rules.filter((r) => r.kind === 'record').map((r) => r.name));
const known = (name: string) => exported.has(name) || recorded.has(name) || BUILTIN_SERIES.has(name);

interface Query {
  where: string;
  expr: string;
}

function dashboardQueries(): Query[] {
  const dash = JSON.parse(readFileSync(join(repoRoot, 'ops', 'grafana', 'dashboards', 'boxfep.json'), 'utf8'));
  const out: Query[] = [];
  for (const p of dash.panels) {
    for (const target of p.targets ?? []) out.push({ where: `panel "${p.title}" ${target.refId}`, expr: target.expr });
  }
  for (const a of dash.annotations?.list ?? []) if (a.expr) out.push({ where: `annotation ${a.name}`, expr: a.expr });
  for (const v of dash.templating?.list ?? []) {
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    const lv = /^label_values\((\w+),\s*\w+\)$/.exec(q ?? '');
    if (lv) out.push({ where: `variable ${v.name}`, expr: lv[1] });
  }
  return out;
}

t.test('the PromQL reader finds metric names and nothing else', async (t) => {
  t.same(
    metricNames(
      'histogram_quantile(0.99, sum by (type, le) (rate(boxfep_x_bucket{instance=~"$instance",le="1"}[$__rate_interval])))',
    ),
    ['boxfep_x_bucket'],
  );
  t.same(metricNames('a_total / ignoring(rc) b_total > 14.4 * 0.001 and on (instance) c offset 5m'), [
    'a_total',
    'b_total',
    'c',
  ]);
  t.same(metricNames('time() - max(boxfep:rec:rate5m) > 1e3'), ['boxfep:rec:rate5m']);
});

t.test('the dashboard parses and every expression names exported series only', async (t) => {
  const queries = dashboardQueries();
  t.ok(queries.length >= 40, `${queries.length} queries`);
  for (const q of queries) {
    const names = metricNames(q.expr);
    t.ok(names.length > 0, `${q.where} selects something`);
    for (const n of names) t.ok(known(n), `${q.where}: ${n} is exported`);
  }
});

t.test('the dashboard covers what issue #9 asks to see', async (t) => {
  const exprs = dashboardQueries()
    .map((q) => q.expr)
    .join('\n');
  const used = (name: string) => exprs.includes(name);
  for (const q of ['0.5', '0.99', '0.999']) {
    t.ok(
      exprs.includes(`histogram_quantile(${q}, sum by (type, le) (rate(boxfep_server_request_duration_seconds_bucket`),
      `p${Number(q) * 100} by type`,
    );
  }
  for (const name of [
    'boxfep_server_transactions_total', // traffic and response-code mix
    'boxfep_server_connections',
    'boxfep_crypto_queue_depth',
    'boxfep_store_command_seconds_bucket',
    'boxfep_channels_breaker_state',
    'boxfep_channels_call_seconds_bucket',
    'boxfep_nodejs_eventloop_lag_p99_seconds',
    'boxfep_nodejs_eventloop_busy_seconds_total',
  ]) {
    t.ok(used(name), name);
  }
  t.ok(exprs.includes('sum by (rc) (rate(boxfep_server_transactions_total'), 'response-code mix');
});

t.test(
  'every metric boxfep exports from the server, crypto, store, channels and flows is on the dashboard',
  async (t) => {
    const exprs = dashboardQueries()
      .map((q) => q.expr)
      .join('\n');
    const names = new Set(exprs.match(/boxfep_[a-z0-9_]+/g));
    for (const m of catalogue()) {
      if (!/^boxfep_(server|crypto|store|channels|flows)_/.test(m.name)) continue;
      t.ok(
        [m.name, `${m.name}_bucket`, `${m.name}_count`, `${m.name}_sum`].some((n) => names.has(n)),
        `${m.name} has a panel`,
      );
    }
  },
);

t.test('every alert and recording rule names exported series only, and alerts carry a runbook', async (t) => {
  t.ok(rules.length >= 20);
  for (const r of rules) {
    const names = metricNames(r.expr);
    t.ok(names.length > 0, `${r.name} selects something`);
    for (const n of names) t.ok(known(n) && !(r.kind === 'record' && n === r.name), `${r.name}: ${n} is exported`);
    if (r.kind !== 'alert') continue;
    t.match(r.labels.severity, /^(critical|warning)$/, `${r.name} severity`);
    t.ok(r.annotations.summary, `${r.name} summary`);
    t.ok(r.annotations.runbook && r.annotations.runbook.length > 30, `${r.name} runbook line`);
    t.equal(r.annotations.runbook_url, `docs/operations.md#${r.name.toLowerCase()}`, `${r.name} runbook_url`);
  }
});

t.test('every runbook_url lands on a heading of docs/operations.md', async (t) => {
  const doc = readFileSync(join(repoRoot, 'docs', 'operations.md'), 'utf8');
  const anchors = new Set(
    [...doc.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );
  for (const r of rules.filter((x) => x.kind === 'alert')) {
    const anchor = r.annotations.runbook_url.split('#')[1];
    t.ok(anchors.has(anchor), `${r.name}: docs/operations.md has #${anchor}`);
  }
});

t.test('the alerts cover what issue #9 asks for', async (t) => {
  const exprOf = new Map(rules.map((r) => [r.name, r.expr]));
  const all = rules.map((r) => r.expr).join('\n');
  t.ok(
    [...exprOf.keys()].some((n) => /ErrorBudget/.test(n)),
    'error-rate SLO burn',
  );
  t.ok(
    [...exprOf.keys()].some((n) => /LatencyBudget/.test(n)),
    'latency SLO burn',
  );
  for (const [what, name] of [
    ['MAC failure spikes', 'boxfep_server_mac_failures_total'],
    ['wallet breaker open', 'boxfep_channels_breaker_state'],
    ['crypto queue saturation', 'boxfep_crypto_queue_depth'],
    ['store down', 'boxfep_ready_check'],
    ['recovery backlog', 'boxfep_flows_recovery_due_orders'],
    ['connection drops', 'boxfep_server_connections'],
  ]) {
    t.ok(all.includes(name), what);
  }
});
