// Process metrics: prom-client's defaults under the boxfep_ prefix, GC pauses observed, the
// event-loop busy counter growing by the time the loop was actually blocked, and the heap limit.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import t from 'tap';
import { DEFAULT_METRIC_NAMES } from '../../src/metrics/process.js';
import { registry } from '../../src/metrics/registry.js';
import { repoRoot } from '../helpers/paths.js';
import { parseExposition } from './helpers/scrape.js';

const read = async () => parseExposition(await registry.metrics());

t.test('the default metrics are exported under the prefix', async (t) => {
  const s = await read();
  for (const name of [
    'boxfep_process_cpu_seconds_total',
    'boxfep_process_resident_memory_bytes',
    'boxfep_nodejs_heap_size_used_bytes',
    'boxfep_nodejs_heap_space_size_used_bytes',
    'boxfep_nodejs_eventloop_lag_p99_seconds',
    'boxfep_nodejs_version_info',
  ]) {
    t.ok(DEFAULT_METRIC_NAMES.has(name), `${name} is a default metric`);
    t.ok(s.has(name), `${name} is exported`);
  }
  t.notOk(
    s.samples.some((x) => x.name.startsWith('nodejs_') || x.name.startsWith('process_')),
    'nothing unprefixed',
  );
  t.equal(s.sum('boxfep_nodejs_version_info', { version: process.version }), 1);
});

t.test('event-loop busy time grows by the time the loop was blocked, and no more than wall time', async (t) => {
  const before = (await read()).sum('boxfep_nodejs_eventloop_busy_seconds_total');
  const start = performance.now();
  while (performance.now() - start < 300) {
    // Block the loop: this is the work the counter must see.
  }
  await new Promise((r) => setImmediate(r));
  const after = (await read()).sum('boxfep_nodejs_eventloop_busy_seconds_total');
  const wall = (performance.now() - start) / 1000;
  const busy = after - before;
  t.ok(busy >= 0.28, `busy ${busy.toFixed(3)} s ≥ the 0.3 s blocked`);
  t.ok(busy <= wall + 0.05, `busy ${busy.toFixed(3)} s ≤ wall ${wall.toFixed(3)} s`);

  // Idle: waiting on a timer adds (almost) nothing.
  const idleBefore = after;
  await new Promise((r) => setTimeout(r, 300));
  const idle = (await read()).sum('boxfep_nodejs_eventloop_busy_seconds_total') - idleBefore;
  t.ok(idle < 0.15, `idle 300 ms added only ${idle.toFixed(3)} s of busy time`);
});

t.test('garbage collections are observed by kind', async (t) => {
  let kept: number[][] = [];
  let count = 0;
  for (let round = 0; round < 40 && count === 0; round++) {
    // Short-lived arrays fill the young generation: scavenges follow.
    for (let i = 0; i < 20_000; i++) kept.push(new Array(64).fill(i));
    kept = [];
    await new Promise((r) => setTimeout(r, 25));
    count = (await read()).sum('boxfep_nodejs_gc_duration_seconds_count');
  }
  t.ok(count > 0, `${count} GC pauses observed`);
  const s = await read();
  t.ok(
    s.samples.some((x) => x.name === 'boxfep_nodejs_gc_duration_seconds_count' && x.labels.kind === 'minor'),
    'minor collections are labelled',
  );
});

t.test('the heap limit is exported, and follows --max-old-space-size', async (t) => {
  const s = await read();
  const limit = s.sum('boxfep_nodejs_heap_size_limit_bytes');
  t.equal(limit, getHeapStatistics().heap_size_limit, 'this process’s limit');
  t.ok(limit > s.sum('boxfep_nodejs_heap_size_used_bytes'), 'above the heap in use');

  // A process started with a 300 MB old space: the limit is that plus the young generation's room.
  const modules = join(repoRoot, 'dist', 'src', 'metrics');
  const script =
    `const { registry } = await import(${JSON.stringify(join(modules, 'registry.js'))});` +
    `await import(${JSON.stringify(join(modules, 'process.js'))});` +
    `const m = await registry.getSingleMetric('boxfep_nodejs_heap_size_limit_bytes').get();` +
    'console.log(m.values[0].value);';
  const small = Number(
    execFileSync(process.execPath, ['--max-old-space-size=300', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    }),
  );
  t.ok(
    small >= 300 * 2 ** 20 && small < 400 * 2 ** 20,
    `limit ${(small / 2 ** 20).toFixed(0)} MB with a 300 MB old space`,
  );
});
