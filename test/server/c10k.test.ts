// 10,000 concurrent box connections on one boxfep process, which still answers echoes on all of them.
// The server runs in its own child process and the clients in two others (5,000 each): a process
// may hold at most 20,000 descriptors here. Reports the server's memory per connection.
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/paths.js';

const TOTAL = 10_000;
const PER_CLIENT = 5_000;
const FIRST_TID = 30_000_000;
const helpers = join(repoRoot, 'dist', 'test', 'server', 'helpers');

type Msg = Record<string, unknown>;

function next(child: ChildProcess, key: string, ms: number): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not report '${key}' within ${ms} ms`)), ms);
    const onMsg = (m: Msg) => {
      if (!(key in m)) return;
      clearTimeout(timer);
      child.off('message', onMsg);
      resolve(m);
    };
    child.on('message', onMsg);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code}) before reporting '${key}'`));
    });
  });
}

t.test('one boxfep process holds 10,000 connections and answers echoes on all of them', async (t) => {
  const server = fork(join(helpers, 'c10k-server.js'), [String(TOTAL)], {
    execArgv: ['--expose-gc'],
    env: { ...process.env, BOXFEP_C10K_CHILD: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  t.teardown(() => server.kill());
  const ready = await next(server, 'port', 60_000);
  const port = ready.port as number;
  const before = ready.memory as { rss: number; heapUsed: number };

  const clients = [0, 1].map((i) =>
    fork(join(helpers, 'c10k-clients.js'), [String(port), String(FIRST_TID + i * PER_CLIENT), String(PER_CLIENT)], {
      env: { ...process.env, BOXFEP_C10K_CHILD: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  t.teardown(() => {
    for (const c of clients) c.kill();
  });
  const connected = await Promise.all(clients.map((c) => next(c, 'connected', 90_000)));
  t.same(
    connected.map((c) => c.open),
    [PER_CLIENT, PER_CLIENT],
    'every client connection is open',
  );

  server.send({ cmd: 'memory', expect: TOTAL });
  const idle = await next(server, 'memory', 30_000);
  t.equal(idle.connections, TOTAL, 'the server holds 10,000 connections');
  const idleMem = idle.memory as { rss: number; heapUsed: number };

  const echoes = await Promise.all(
    clients.map((c) => {
      c.send({ cmd: 'echo', round: 1 });
      return next(c, 'echo', 90_000);
    }),
  );
  const results = echoes.map((e) => e.echo as { approved: number; other: number; p50: number; p99: number });
  t.equal(
    results.reduce((n, r) => n + r.approved, 0),
    TOTAL,
    'every connection got its 0830 with 39 = 00',
  );
  t.equal(
    results.reduce((n, r) => n + r.other, 0),
    0,
    'no timeouts or refusals',
  );

  server.send({ cmd: 'memory', expect: TOTAL });
  const after = await next(server, 'memory', 30_000);
  t.equal(after.connections, TOTAL, 'still 10,000 after the echo round');
  t.equal(after.bound, TOTAL, 'every terminal is in the push registry');
  const afterMem = after.memory as { rss: number; heapUsed: number };

  const kb = (b: number) => Math.round(b / 1024);
  const perConnIdle = (idleMem.rss - before.rss) / TOTAL;
  const perConnHeapIdle = (idleMem.heapUsed - before.heapUsed) / TOTAL;
  const perConnAfter = (afterMem.rss - before.rss) / TOTAL;
  const perConnHeapAfter = (afterMem.heapUsed - before.heapUsed) / TOTAL;
  t.comment(
    `server memory per connection: idle RSS ${(perConnIdle / 1024).toFixed(1)} KB, heap ${(perConnHeapIdle / 1024).toFixed(1)} KB; ` +
      `after one echo each RSS ${(perConnAfter / 1024).toFixed(1)} KB, heap ${(perConnHeapAfter / 1024).toFixed(1)} KB ` +
      `(RSS ${kb(before.rss)} → ${kb(idleMem.rss)} → ${kb(afterMem.rss)} KB); ` +
      `echo latency p50 ${results[0].p50.toFixed(1)} ms p99 ${Math.max(...results.map((r) => r.p99)).toFixed(1)} ms`,
  );
  t.ok(perConnHeapAfter < 20 * 1024, 'JS heap per connection stays under the 20 KB target');

  for (const c of clients) c.send({ cmd: 'close' });
  await Promise.all(clients.map((c) => next(c, 'closed', 30_000)));
  server.send({ cmd: 'stop' });
  await next(server, 'stopped', 30_000);
});
