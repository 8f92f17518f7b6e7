// A real Prometheus (Debian's `prometheus` package) scraping a real boxfep on loopback: ops/prometheus.yml
// with its target, interval and rule path rewritten for the test, a temp TSDB, random free ports.
// Box traffic goes in through the emulator; PromQL answers about it come out of the HTTP API. Every
// dashboard expression is run through the same API, so a panel with a PromQL syntax error fails here.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Box } from '../../src/box/box.js';
import { createCryptoService } from '../../src/crypto/service.js';
import { type Boxfep, startBoxfep } from '../../src/runtime/boxfep.js';
import { createStore } from '../../src/store/store.js';
import { provisionTerminals } from '../../src/terminals/provisioning.js';
import { loopbackConfig, TEST_LMK, TMK } from '../helpers/loopback.js';
import { repoRoot } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';

const MID = '898000000000001';
const TID = '40000001';
const ECHOES = 7;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` every 250 ms until it returns a value, for at most `ms`. */
async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (let i = 0; Date.now() < deadline && i < 400; i++) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(250);
  }
  throw new Error(`${what}: not within ${ms} ms${last ? ` (last error: ${String(last)})` : ''}`);
}

/** ops/prometheus.yml, pointed at the test's boxfep and Prometheus, scraping every second. */
function testConfig(adminPort: number, promPort: number): string {
  const text = readFileSync(join(repoRoot, 'ops', 'prometheus.yml'), 'utf8');
  const swaps: Array<[string, string]> = [
    ['scrape_interval: 15s', 'scrape_interval: 1s'],
    ['scrape_timeout: 5s', 'scrape_timeout: 1s'],
    ['evaluation_interval: 15s', 'evaluation_interval: 1s'],
    ["targets: ['boxfep:9464']", `targets: ['127.0.0.1:${adminPort}']`],
    ["targets: ['localhost:9090']", `targets: ['127.0.0.1:${promPort}']`],
    ['  - alerts.yml', `  - ${join(repoRoot, 'ops', 'alerts.yml')}`],
  ];
  let out = text;
  for (const [from, to] of swaps) {
    if (!out.includes(from)) throw new Error(`ops/prometheus.yml no longer contains "${from}": update this test`);
    out = out.replace(from, to);
  }
  return out;
}

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

let app: Boxfep;
let prom: ChildProcess | undefined;
let promPort = 0;
let promLog = '';
const dir = mkdtempSync(join(tmpdir(), 'boxfep-prom-'));

async function query(expr: string): Promise<PromResult[]> {
  const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: PromResult[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data?.result ?? [];
}

t.before(async () => {
  const config = loopbackConfig({
    payDeadlineMs: 2000,
    queryIntervalMs: 100,
    walletTimeoutMs: 500,
    drainMs: 1000,
  });
  const store = createStore('memory');
  const crypto = createCryptoService({ mode: 'inline', lmk: TEST_LMK });
  await provisionTerminals(store, crypto, [{ tid: TID, mid: MID, tmk: TMK }]);
  app = await startBoxfep(config, { store, crypto, sandboxes: { wechat: { payDelayMs: 100 } } });
  const adminPort = app.fep.admin?.port;
  if (!adminPort) throw new Error('no admin endpoint');

  // A port taken between freePort() and Prometheus binding it is retried with another.
  for (let attempt = 0; attempt < 3 && !prom; attempt++) {
    promPort = await freePort();
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, testConfig(adminPort, promPort));
    const child = spawn(
      'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, `data-${attempt}`)}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (c: Buffer) => (promLog += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (promLog += c.toString()));
    const exited = new Promise<string>((resolve) => {
      child.once('error', (err) => resolve(`cannot start prometheus: ${err.message}`));
      child.once('exit', (code) => resolve(`prometheus exited with ${code}`));
    });
    const ready = until('Prometheus ready', 20_000, async () => {
      const res = await fetch(`http://127.0.0.1:${promPort}/-/ready`);
      return res.status === 200 ? 'ready' : undefined;
    });
    const first = await Promise.race([ready, exited]);
    if (first === 'ready') prom = child;
    else if (/address already in use/.test(promLog)) continue;
    else throw new Error(`${first}\n${promLog}`);
  }
  if (!prom) throw new Error(`prometheus did not start:\n${promLog}`);
});

t.teardown(async () => {
  if (prom && prom.exitCode === null) {
    const gone = new Promise((r) => prom?.once('exit', r));
    prom.kill('SIGTERM');
    const timer = setTimeout(() => prom?.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  }
  await app?.stop();
  rmSync(dir, { recursive: true, force: true });
});

t.test('Prometheus scrapes boxfep and answers PromQL about its traffic', async (t) => {
  await until('boxfep target up', 20_000, async () => {
    const r = await query('up{job="boxfep"}');
    return r[0]?.value[1] === '1' ? true : undefined;
  });

  const box = await Box.connect({ port: app.fep.boxPorts[0], tid: TID, mid: MID, tmk: TMK, replyTimeoutMs: 10_000 });
  t.teardown(() => box.close());
  t.equal((await box.signOn()).rc, '00');
  for (let i = 0; i < ECHOES; i++) t.equal((await box.echo()).rc, '00');
  t.equal((await box.sale(888, '134567890123456712')).rc, '00', 'a WeChat-style sale through the sandbox');

  const echoes = await until(`${ECHOES} echoes in Prometheus`, 20_000, async () => {
    const r = await query('sum(boxfep_server_transactions_total{job="boxfep",type="echo",rc="00"})');
    return r[0] && Number(r[0].value[1]) === ECHOES ? r : undefined;
  });
  t.equal(Number(echoes[0].value[1]), ECHOES, 'the echo count as Prometheus stored it');

  const byType = await query('sum by (type, rc) (boxfep_server_transactions_total{job="boxfep"})');
  const seen = Object.fromEntries(byType.map((r) => [`${r.metric.type}/${r.metric.rc}`, Number(r.value[1])]));
  t.same(seen, { 'signon/00': 1, [`echo/00`]: ECHOES, 'sale/00': 1 }, 'every transaction, by type and rc');

  const p99 = await query(
    'histogram_quantile(0.99, sum by (le) (boxfep_server_request_duration_seconds_bucket{job="boxfep",type="echo"}))',
  );
  const seconds = Number(p99[0]?.value[1]);
  t.ok(seconds > 0 && seconds <= 0.5, `echo p99 from the histogram is plausible (${seconds}s)`);

  const wallet = await query('sum by (wallet, outcome) (boxfep_channels_outcomes_total{job="boxfep",op="pay"})');
  t.same(
    wallet.map((r) => [r.metric.wallet, r.metric.outcome, r.value[1]]),
    [['WX', 'success', '1']],
    'the wallet call is counted',
  );
  const ready = await query('boxfep_ready{job="boxfep"}');
  t.equal(ready[0]?.value[1], '1', 'boxfep_ready as Prometheus sees it');
});

t.test('the alert rules load into Prometheus and evaluate without errors', async (t) => {
  // Groups start at an offset staggered within their interval (30 s for the recording rules).
  const rules = await until('rules evaluated', 45_000, async () => {
    const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/rules`);
    const body = (await res.json()) as {
      data: { groups: Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string }> }> };
    };
    const all = body.data.groups.flatMap((g) => g.rules);
    return all.length > 0 && all.every((r) => r.health !== 'unknown') ? all : undefined;
  });
  const expected = readFileSync(join(repoRoot, 'ops', 'alerts.yml'), 'utf8').match(/^\s+- (alert|record): /gm);
  t.equal(rules.length, expected?.length, 'every rule of ops/alerts.yml is loaded');
  for (const r of rules) t.equal(r.health, 'ok', `${r.name} evaluates${r.lastError ? `: ${r.lastError}` : ''}`);
  const firing = await query('ALERTS{alertstate="firing"}');
  t.same(
    firing.map((a) => a.metric.alertname),
    [],
    'a healthy boxfep fires no alert',
  );
});

t.test('every dashboard expression is valid PromQL that Prometheus accepts', async (t) => {
  const dash = JSON.parse(readFileSync(join(repoRoot, 'ops', 'grafana', 'dashboards', 'boxfep.json'), 'utf8'));
  const exprs: Array<[string, string]> = [];
  for (const p of dash.panels) for (const q of p.targets ?? []) exprs.push([`${p.title} ${q.refId}`, q.expr]);
  for (const a of dash.annotations.list) if (a.expr) exprs.push([`annotation ${a.name}`, a.expr]);
  t.ok(exprs.length >= 40);
  for (const [where, expr] of exprs) {
    const concrete = expr.replaceAll('$instance', '.*').replaceAll('$__rate_interval', '1m');
    await t.resolves(query(concrete), where);
  }
  // And the panels that should show this traffic do.
  const traffic = await query('sum by (type) (boxfep_server_transactions_total{instance=~".*"})');
  t.ok(traffic.length >= 3, 'the traffic-by-type panel has series');
});
