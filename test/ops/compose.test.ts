// docker-compose.yml cannot be run here (no Docker engine), so check what can be checked without
// one: every file it mounts exists, the Prometheus target is the boxfep service's admin port, the
// Grafana provisioning points at the mounted dashboards, and the Dockerfile keeps its promises
// (non-root, HEALTHCHECK on /healthz, `serve` by default).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';
import { DEFAULTS } from '../../src/config/serve-config.js';
import { repoRoot } from '../helpers/paths.js';

const ops = join(repoRoot, 'ops');
const compose = readFileSync(join(ops, 'docker-compose.yml'), 'utf8');

t.test('every bind mount of docker-compose.yml exists in ops/', async (t) => {
  const mounts = [...compose.matchAll(/^\s+- (\.\.?\/[^:]+):/gm)].map((m) => m[1]);
  t.ok(mounts.length >= 4, `mounts: ${mounts.join(', ')}`);
  for (const m of mounts) t.ok(existsSync(resolve(ops, m)), `${m} exists`);
  t.match(compose, /context: \.\.\n\s+dockerfile: Dockerfile/, 'the image builds from the repository root');
  t.ok(existsSync(join(repoRoot, 'Dockerfile')));
});

t.test('Prometheus scrapes the compose service on the admin port boxfep listens on', async (t) => {
  const prom = readFileSync(join(ops, 'prometheus.yml'), 'utf8');
  t.match(prom, new RegExp(`targets: \\['boxfep:${DEFAULTS.adminPort}'\\]`));
  t.match(compose, /^ {2}boxfep:$/m, 'a service named boxfep');
  t.match(compose, new RegExp(`BOXFEP_ADMIN_PORT: '${DEFAULTS.adminPort}'`));
  t.match(compose, new RegExp(`'${DEFAULTS.adminPort}:${DEFAULTS.adminPort}'`));
  t.match(compose, /BOXFEP_STORE: redis:\/\/redis:6379/);
  t.match(compose, /\.\/alerts\.yml:\/etc\/prometheus\/alerts\.yml/, 'the rules sit next to the config');
});

t.test('Grafana is provisioned with the data source and the dashboard directory', async (t) => {
  const ds = readFileSync(join(ops, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8');
  t.match(ds, /url: http:\/\/prometheus:9090/);
  const provider = readFileSync(join(ops, 'grafana', 'provisioning', 'dashboards', 'boxfep.yml'), 'utf8');
  const path = /path: (\S+)/.exec(provider)?.[1];
  t.equal(path, '/var/lib/grafana/dashboards');
  t.match(compose, new RegExp(`\\./grafana/dashboards:${path}:ro`), 'the provider path is the mounted directory');
  const dash = JSON.parse(readFileSync(join(ops, 'grafana', 'dashboards', 'boxfep.json'), 'utf8'));
  t.equal(dash.uid, 'boxfep-overview');
  const ids = dash.panels.map((p: { id: number }) => p.id);
  t.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const p of dash.panels) {
    const g = p.gridPos;
    t.ok(g.x >= 0 && g.x + g.w <= 24, `panel "${p.title}" fits the 24-column grid`);
  }
});

t.test('the Dockerfile runs serve as a non-root user with a HEALTHCHECK on /healthz', async (t) => {
  const docker = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  const final = docker.slice(docker.lastIndexOf('\nFROM '));
  t.match(final, /^USER (?!root)\w+/m, 'non-root');
  t.match(final, new RegExp(`HEALTHCHECK[\\s\\S]*127\\.0\\.0\\.1:${DEFAULTS.adminPort}/healthz`));
  t.match(final, /ENTRYPOINT \["node", "dist\/src\/cli\/main\.js"\]/);
  t.match(final, /CMD \["serve"\]/);
  for (const port of [DEFAULTS.boxPort, DEFAULTS.notifyPort, DEFAULTS.adminPort])
    t.match(final, new RegExp(`EXPOSE.*\\b${port}\\b`));
});
