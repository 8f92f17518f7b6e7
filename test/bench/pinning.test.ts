// --server-cpus / --load-cpus: boxfep and the echo server on one CPU, the load on another, as the
// kernel reports it for each process once running. Its own file: it pins this test process too.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ChildGenerator } from '../../bench/load/generators.js';
import { parseBenchArgs } from '../../bench/load/options.js';
import { allowedCpus, niceOf, nodeFlagsOf, placedCommand } from '../../bench/load/placement.js';
import { type BenchIO, runBench } from '../../bench/load/session.js';

const quiet: BenchIO = { line: () => undefined, progress: () => undefined };

t.test('a command is run through taskset only when CPUs are given', async (t) => {
  t.same(placedCommand({}, '/bin/node', ['-e', '1']), { command: '/bin/node', args: ['-e', '1'] });
  t.same(placedCommand({ nice: 5, cpus: '0' }, '/bin/node', ['-e', '1']), {
    command: 'nice',
    args: ['-n', '5', 'taskset', '-c', '0', '/bin/node', '-e', '1'],
  });
  t.same(placedCommand({ cpus: '1' }, '/bin/node', ['-e', '1']), {
    command: 'taskset',
    args: ['-c', '1', '/bin/node', '-e', '1'],
  });
});

t.test('nodeFlagsOf reads a process’s node flags from /proc, up to its script', async (t) => {
  t.same(nodeFlagsOf(process.pid, process.argv[1]!), process.execArgv, 'this test process');
  t.equal(nodeFlagsOf(process.pid, '/no/such/script.js'), undefined);
  t.equal(nodeFlagsOf(2 ** 22 + 1, 'x'), undefined, 'no such process');
});

t.test('a placed generator process runs on its CPUs at its niceness and still answers over IPC', async (t) => {
  const gen = new ChildGenerator([], { cpus: '0', nice: 7 });
  t.teardown(() => gen.close());
  // A round trip first: once the generator answers, taskset has pinned it and exec'd node.
  const summary = await gen.connect({
    host: '127.0.0.1',
    port: 9,
    terminals: [],
    rampPerSec: 1,
    signOn: false,
    replyTimeoutMs: 1000,
    stanStart: 1,
  });
  t.equal(summary.connected, 0, 'an empty fleet: nothing to connect, but an answer');
  t.equal(allowedCpus(gen.pid!), '0');
  t.equal(niceOf(gen.pid!), 7, 'and at its niceness');
});

t.test(
  '--server-cpus, --load-cpus and --load-nice: boxfep and the echo server on one CPU, the load on another and behind them',
  async (t) => {
    if (availableParallelism() < 2) {
      t.throws(() => parseBenchArgs(['--spawn', '--server-cpus', '1']), /CPU 1 does not exist/);
      return;
    }
    const out = mkdtempSync(join(tmpdir(), 'bench-pinned-'));
    t.teardown(() => rmSync(out, { recursive: true, force: true }));
    const o = parseBenchArgs([
      '--spawn',
      '--boxes',
      '20',
      '--rate',
      '100',
      '--duration',
      '1',
      '--warmup',
      '0.5',
      '--mix',
      'echo=1,sale=1',
      '--wallets',
      'WX',
      '--baseline',
      'echo',
      '--server-cpus',
      '1',
      '--load-cpus',
      '0',
      '--load-nice',
      '5',
      '--server-node-arg=--max-semi-space-size=16',
      '--quiet',
      '--out',
      out,
    ])!;
    const { report } = await runBench(o, quiet);
    t.equal(report.errors, 0);
    t.same(
      report.cpus,
      { load: '0', echo: '1', generators: ['0'], sandbox: '0', server: '1' },
      'each process where it was put, read from /proc',
    );
    t.same(report.loadNice, { sandbox: 5, generators: [5] }, 'the load at niceness 5, read from /proc');
    t.ok(report.baseline && report.baseline.completed > 0, 'the pinned echo server answered');
    t.equal(report.cpuBudget?.cores, cpus().length, 'the budget counts the machine’s cores, not the pinned share');
    t.ok(report.generatorCpuUsPerTx > 0, 'generator CPU measured');
    t.ok(report.baseline!.generatorCpuUsPerTx > 0, 'generator CPU measured when nothing was left to drain');
    t.same(report.options.serverNodeArgs, ['--max-semi-space-size=16'], 'boxfep ran with the size asked for (/proc)');
    t.match(readFileSync(join(out, 'server.log'), 'utf8'), /"semiSpaceMb":16,.*"msg":"boxfep serving"/, 'and says so');
    t.same(report.options.echoNodeArgs, [], 'the echo server ran with no node flags (/proc)');
  },
);
