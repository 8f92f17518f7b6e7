// ops/prometheus.yml and ops/alerts.yml through the real Prometheus tooling: `promtool check config`,
// `promtool check rules` and `promtool test rules` on the unit tests in ops/tests. promtool comes from
// Debian's prometheus package (.ci/run installs it).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { repoRoot } from '../helpers/paths.js';
import { readRules } from './helpers/promql.js';

const run = promisify(execFile);
const ops = join(repoRoot, 'ops');

async function promtool(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: ops, timeout: 60_000 });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool is not installed (apt-get install prometheus)');
    return { code: Number(e.code ?? 1), out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

t.test('prometheus.yml is a valid configuration whose rule files exist', async (t) => {
  const r = await promtool('check', 'config', 'prometheus.yml');
  t.equal(r.code, 0, r.out);
  t.match(r.out, /SUCCESS: 1 rule files found/);
});

t.test('alerts.yml passes promtool, and the test helper reads every rule promtool counts', async (t) => {
  const r = await promtool('check', 'rules', 'alerts.yml');
  t.equal(r.code, 0, r.out);
  const counted = Number(/SUCCESS: (\d+) rules found/.exec(r.out)?.[1]);
  const rules = readRules(join(ops, 'alerts.yml'));
  t.equal(rules.length, counted, 'the same number of rules as promtool found');
  for (const rule of rules) t.ok(rule.expr.length > 0, `${rule.name} has an expression`);
});

t.test('promtool test rules: every alert fires when it should and stays quiet when it should', async (t) => {
  const r = await promtool('test', 'rules', join('tests', 'alerts.test.yml'));
  t.equal(r.code, 0, r.out);
  t.match(r.out, /SUCCESS/);
});

t.test('every alert has a unit test case that expects it to fire', async (t) => {
  const { readFileSync } = await import('node:fs');
  const tests = readFileSync(join(ops, 'tests', 'alerts.test.yml'), 'utf8');
  const alerts = readRules(join(ops, 'alerts.yml')).filter((r) => r.kind === 'alert');
  for (const a of alerts) {
    const firing = new RegExp(`alertname: ${a.name}\\n\\s+exp_alerts:\\n\\s+- exp_labels`);
    t.match(tests, firing, `${a.name} is tested firing`);
  }
});

t.test('a broken rule file is refused (the check is not a formality)', async (t) => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'boxfep-promtool-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.yml');
  writeFileSync(bad, 'groups:\n  - name: x\n    rules:\n      - alert: Broken\n        expr: sum(rate(x[5m]) > \n');
  const r = await promtool('check', 'rules', bad);
  t.not(r.code, 0);
  t.match(r.out, /FAILED|parse error/);
});
