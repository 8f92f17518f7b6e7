// Redis down must never hang a request: every call rejects with StoreUnavailableError within the
// command timeout, and the store recovers by itself when Redis is back.
import { createServer, type Socket } from 'node:net';
import t from 'tap';
import { registry } from '../../src/metrics/registry.js';
import { createStore, StoreUnavailableError } from '../../src/store/store.js';
import { freePort, startRedisServer } from './harness.js';
import { req, TID } from './suite.js';

const TIMEOUT = 300;

async function elapsed<T>(p: Promise<T>): Promise<number> {
  const start = performance.now();
  await p.catch(() => undefined);
  return performance.now() - start;
}

t.test('nothing listening: calls reject with StoreUnavailableError at once', async (t) => {
  const port = await freePort();
  const s = createStore(`redis://127.0.0.1:${port}`, { commandTimeoutMs: TIMEOUT });
  t.teardown(() => s.close());
  await t.rejects(s.ping(), StoreUnavailableError);
  t.notOk(s.healthy);
  const calls: Promise<unknown>[] = [
    s.getTerminal(TID),
    s.beginPayment({ request: req(1), fingerprint: 'a', kind: 'sale', amountFen: 1 }),
    s.incrMacFailures(TID),
    s.listDuePushes(Date.now(), 10),
  ];
  const times = await Promise.all(
    calls.map(
      async (c) =>
        [
          await elapsed(c),
          await c.then(
            () => null,
            (e) => e,
          ),
        ] as const,
    ),
  );
  for (const [ms, err] of times) {
    t.type(err, StoreUnavailableError);
    t.ok(ms < TIMEOUT + 200, `rejected in ${ms.toFixed(0)} ms`);
  }
  const metric = await registry.getSingleMetricAsString('boxfep_store_errors_total');
  t.match(metric, /boxfep_store_errors_total\{op="getTerminal",kind="connection"\} [1-9]/, 'counted by op and kind');
});

t.test('a server that accepts but never answers: calls time out within the bound', async (t) => {
  const sockets: Socket[] = [];
  const silent = createServer((sock) => sockets.push(sock));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    for (const sock of sockets) sock.destroy();
    return new Promise<void>((r) => silent.close(() => r()));
  });
  const addr = silent.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const s = createStore(`redis://127.0.0.1:${port}`, { commandTimeoutMs: TIMEOUT });
  t.teardown(() => s.close());
  const start = performance.now();
  const err = await s.getOrder('M00000000000001', '060000000001').then(
    () => null,
    (e: unknown) => e,
  );
  const ms = performance.now() - start;
  t.type(err, StoreUnavailableError);
  t.equal((err as StoreUnavailableError).kind, 'timeout');
  t.ok(ms >= TIMEOUT - 20 && ms < TIMEOUT + 700, `rejected after ${ms.toFixed(0)} ms`);
});

t.test('Redis dies mid-way: fail fast while down, recover when it is back', async (t) => {
  let server = await startRedisServer();
  t.teardown(() => server.stop());
  const s = createStore(`redis://127.0.0.1:${server.port}`, { commandTimeoutMs: TIMEOUT, keyPrefix: 'bftest:down:' });
  t.teardown(() => s.close());
  await s.ping();
  t.ok(s.healthy);
  await s.incrMacFailures(TID);

  await server.stop();
  const err = await s.ping().then(
    () => null,
    (e: unknown) => e,
  );
  t.type(err, StoreUnavailableError, 'ping fails once the server is gone');
  const ms = await elapsed(s.beginPayment({ request: req(1), fingerprint: 'a', kind: 'sale', amountFen: 1 }));
  t.ok(ms < TIMEOUT + 200, `hot path rejects in ${ms.toFixed(0)} ms while down`);
  t.notOk(s.healthy);

  server = await startRedisServer({ port: server.port });
  const deadline = Date.now() + 10_000;
  while (!s.healthy && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  t.ok(s.healthy, 'reconnected by itself');
  await s.ping();
  t.equal(await s.incrMacFailures(TID), 1, 'working again (a fresh server has no old state)');
});
