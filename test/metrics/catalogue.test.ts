// The metric catalogue: every series boxfep exports follows the Prometheus naming rules, the series
// issue #9 asks for exist with the right types and labels, and docs/operations.md lists every metric,
// setting and environment variable.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { DEFAULTS, SETTINGS } from '../../src/config/serve-config.js';
import { catalogue, loadAllMetrics, type MetricInfo, namingProblems } from '../../src/metrics/catalogue.js';
import { DEFAULT_METRIC_NAMES } from '../../src/metrics/process.js';
import { registry } from '../../src/metrics/registry.js';
import { repoRoot } from '../helpers/paths.js';

const modules = await loadAllMetrics();
const metrics = catalogue();
const byName = new Map(metrics.map((m) => [m.name, m]));

t.test('every metrics module is loaded', async (t) => {
  for (const m of ['channels.js', 'crypto.js', 'flows.js', 'health.js', 'process.js', 'server.js', 'store.js']) {
    t.ok(modules.includes(m), m);
  }
  t.notOk(modules.includes('catalogue.js'), 'not itself');
  t.ok(metrics.length >= 70, `${metrics.length} metrics`);
});

t.test('the whole catalogue follows the naming rules', async (t) => {
  t.same(namingProblems(metrics, { upstream: DEFAULT_METRIC_NAMES }), []);
});

t.test('the naming checker catches each kind of mistake', async (t) => {
  const m = (name: string, type: MetricInfo['type'], labels: string[] = [], help = 'h'): MetricInfo => ({
    name,
    type,
    labels,
    help,
  });
  const problems = namingProblems([
    m('boxfep_x_requests', 'counter'),
    m('boxfep_x_open_total', 'gauge'),
    m('boxfep_x_latency_ms', 'histogram'),
    m('boxfep_x_request_duration', 'histogram'),
    m('boxfep_x_by_terminal_total', 'counter', ['tid']),
    m('boxfep_x_rrn_total', 'counter', ['rrn']),
    m('other_x_total', 'counter'),
    m('boxfep_X_total', 'counter'),
    m('boxfep_x_size_bytes', 'gauge', [], ' '),
  ]);
  t.same(problems, [
    'boxfep_x_requests: is a counter without the _total suffix',
    'boxfep_x_open_total: is a gauge but ends in _total',
    'boxfep_x_latency_ms: uses a non-base unit (use seconds, bytes or a ratio)',
    'boxfep_x_latency_ms: measures time but does not end in _seconds',
    'boxfep_x_request_duration: measures time but does not end in _seconds',
    "boxfep_x_by_terminal_total: has the high-cardinality label 'tid'",
    "boxfep_x_rrn_total: has the high-cardinality label 'rrn'",
    'other_x_total: does not start with boxfep_',
    'boxfep_X_total: is not snake_case',
    'boxfep_x_size_bytes: has no help text',
  ]);
  t.same(namingProblems([m('boxfep_x_open_total', 'gauge')], { upstream: new Set(['boxfep_x_open_total']) }), []);
});

t.test("the upstream exemption covers only prom-client's own names", async (t) => {
  t.ok(DEFAULT_METRIC_NAMES.size >= 20, `${DEFAULT_METRIC_NAMES.size} default metrics`);
  for (const n of DEFAULT_METRIC_NAMES) t.match(n, /^boxfep_(process|nodejs)_/, n);
  t.notOk(DEFAULT_METRIC_NAMES.has('boxfep_nodejs_eventloop_busy_seconds_total'), "boxfep's own is not exempt");
  const exempted = metrics.filter((x) => x.type !== 'counter' && x.name.endsWith('_total')).map((x) => x.name);
  t.same(exempted, [
    'boxfep_nodejs_active_handles_total',
    'boxfep_nodejs_active_requests_total',
    'boxfep_nodejs_active_resources_total',
  ]);
});

t.test('the series issue #9 asks for exist, with their types and labels', async (t) => {
  const want: Array<[string, MetricInfo['type'], string[]]> = [
    ['boxfep_server_transactions_total', 'counter', ['type', 'rc']],
    ['boxfep_server_request_duration_seconds', 'histogram', ['type']],
    ['boxfep_server_frames_in_total', 'counter', ['listener']],
    ['boxfep_server_frames_out_total', 'counter', ['listener']],
    ['boxfep_server_decode_errors_total', 'counter', ['kind']],
    ['boxfep_server_mac_failures_total', 'counter', []],
    ['boxfep_server_connections', 'gauge', []],
    ['boxfep_server_connections_accepted_total', 'counter', []],
    ['boxfep_server_connections_closed_total', 'counter', ['reason']],
    ['boxfep_server_in_flight_requests', 'gauge', []],
    ['boxfep_server_backpressure_pauses_total', 'counter', ['cause']],
    ['boxfep_crypto_queue_depth', 'gauge', []],
    ['boxfep_crypto_task_wait_seconds', 'histogram', []],
    ['boxfep_crypto_task_run_seconds', 'histogram', []],
    ['boxfep_store_command_seconds', 'histogram', ['op', 'backend']],
    ['boxfep_store_errors_total', 'counter', ['op', 'kind']],
    ['boxfep_channels_call_seconds', 'histogram', ['wallet', 'op']],
    ['boxfep_channels_outcomes_total', 'counter', ['wallet', 'op', 'outcome']],
    ['boxfep_channels_breaker_state', 'gauge', ['wallet']],
    ['boxfep_channels_open_connections', 'gauge', ['wallet']],
    ['boxfep_server_pushes_total', 'counter', ['outcome']],
    ['boxfep_flows_push_attempts_total', 'counter', ['kind', 'outcome']],
    ['boxfep_flows_pushes_awaiting_ack', 'gauge', []],
    ['boxfep_flows_pushes_due', 'gauge', []],
    ['boxfep_flows_recovery_runs_total', 'counter', ['result']],
    ['boxfep_flows_recovered_total', 'counter', ['kind', 'result']],
    ['boxfep_flows_recovery_due_orders', 'gauge', []],
    ['boxfep_nodejs_eventloop_lag_p99_seconds', 'gauge', []],
    ['boxfep_nodejs_eventloop_busy_seconds_total', 'counter', []],
    ['boxfep_nodejs_heap_size_used_bytes', 'gauge', []],
    ['boxfep_nodejs_gc_duration_seconds', 'histogram', ['kind']],
    ['boxfep_ready', 'gauge', []],
    ['boxfep_ready_check', 'gauge', ['check']],
  ];
  for (const [name, type, labels] of want) {
    const m = byName.get(name);
    t.ok(m, `${name} exists`);
    t.equal(m?.type, type, `${name} is a ${type}`);
    t.same(m?.labels, labels, `${name} labels`);
  }
});

t.test('latency buckets are dense from 1 to 100 ms and reach the pay deadline', async (t) => {
  const h = registry.getSingleMetric('boxfep_server_request_duration_seconds') as unknown as { upperBounds: number[] };
  const bounds = h.upperBounds;
  const dense = bounds.filter((b) => b >= 0.001 && b <= 0.1);
  t.ok(dense.length >= 10, `${dense.length} buckets between 1 and 100 ms`);
  // No gap wider than ×2.5 between neighbours there, so a quantile is never off by more than that.
  for (let i = 1; i < dense.length; i++) t.ok(dense[i] / dense[i - 1] <= 2.5, `${dense[i - 1]} → ${dense[i]}`);
  t.ok(Math.max(...bounds) >= DEFAULTS.payDeadlineMs / 1000, 'the top bucket is at or past the pay deadline');
  t.ok(bounds.includes(1), 'a 1 s bucket: the latency SLO threshold');
});

t.test('docs/operations.md lists every metric, setting and environment variable', async (t) => {
  const doc = readFileSync(join(repoRoot, 'docs', 'operations.md'), 'utf8');
  // boxfep's own metrics by full name; prom-client's defaults are documented as families.
  for (const m of metrics.filter((x) => !DEFAULT_METRIC_NAMES.has(x.name))) t.ok(doc.includes(`\`${m.name}\``), m.name);
  for (const s of SETTINGS) {
    const env = `BOXFEP_${s.flag.toUpperCase().replaceAll('-', '_')}`;
    t.ok(doc.includes(`\`--${s.flag}\``), `--${s.flag}`);
    t.ok(doc.includes(`\`${env}\``), env);
    t.ok(doc.includes(`\`${s.key}\``), s.key);
  }
  const envInSource = new Set<string>();
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.ts'))
        for (const m of readFileSync(p, 'utf8').matchAll(/BOXFEP_[A-Z][A-Z_]*/g)) envInSource.add(m[0]);
    }
  };
  walk(join(repoRoot, 'src'));
  t.ok(envInSource.has('BOXFEP_LOG_LEVEL'));
  for (const env of envInSource) t.ok(doc.includes(`\`${env}\``), `${env} (read in src/) is documented`);
});
