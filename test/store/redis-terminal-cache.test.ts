// The Redis store's terminal cache against real servers: the shared redis-server and a one-node
// Cluster started here. Two stores on one key prefix are two boxfep nodes. A value changed behind
// the stores' backs (the admin client, no invalidation) tells a read served from the cache from a
// read that went to Redis.
import type { Redis } from 'ioredis';
import t, { type Test } from 'tap';
import { encode } from '../../src/store/codec.js';
import { RedisStore } from '../../src/store/redis.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { createStore, type Store, StoreUnavailableError } from '../../src/store/store.js';
import { seriesTotal as counter } from '../helpers/metrics.js';
import { waitFor } from '../helpers/poll.js';
import { cli as redisCli, startCluster } from '../recovery/redis-procs.js';
import { redisHarness, type StoreHarness, startRedisServer } from './harness.js';
import { terminal } from './suite.js';

const KEYS = { mak: 'MAK:1', pik: 'PIK:1', issuedAt: 1 };

const lookups = (result: string) => counter('boxfep_store_terminal_cache_lookups_total', { result });
const received = () => counter('boxfep_store_terminal_cache_invalidations_total');

/** A store whose cache is live, with `tid` read once (so kept). */
async function warmed(store: Store, tid: string): Promise<RedisStore> {
  if (!(store instanceof RedisStore)) throw new Error('a Redis store was expected');
  await store.getTerminalContext(tid);
  await waitFor('the cache to be live', () => store.terminalCacheLive);
  await store.getTerminalContext(tid);
  return store;
}

/** The batch the store hands out for `tid`, and whether that read was served from the cache. */
async function batchOf(store: Store, tid: string): Promise<{ batch?: string; hit: boolean }> {
  const before = await lookups('hit');
  const ctx = await store.getTerminalContext(tid);
  return { batch: ctx?.terminal.batch, hit: (await lookups('hit')) === before + 1 };
}

function cacheSuite(t: Test, h: StoreHarness): void {
  t.teardown(() => h.cleanup());
  const admin = h.admin as Redis;
  /** Two nodes on one prefix; the raw key names of that prefix. */
  const nodes = (opts = {}) => {
    const a = h.make(opts);
    const b = createStore(h.url as string, { keyPrefix: h.lastPrefix, ...opts });
    t.teardown(() => b.close());
    return { a, b, keys: new RedisKeys(h.lastPrefix as string) };
  };

  t.test('a read is kept: the next is served without Redis until a write invalidates it', async (t) => {
    const { a, keys } = nodes();
    await a.putTerminal(terminal('T1'));
    await warmed(a, 'T1');
    // Changed behind the store's back: a read served from the cache cannot see it.
    await admin.hset(keys.terminals(), 'T1', encode(terminal('T1', { batch: '000009' })));
    t.same(await batchOf(a, 'T1'), { batch: '000001', hit: true }, 'served from the cache');
    const fresh = await a.getTerminalContext('T1', { fresh: true });
    t.equal(fresh?.terminal.batch, '000009', '`fresh` goes to Redis');
    t.notOk(fresh?.cached, 'and is not marked cached');
    t.same(await batchOf(a, 'T1'), { batch: '000009', hit: true }, 'the fresh read replaced what was kept');
  });

  t.test("a node's own writes are seen by its next read at once", async (t) => {
    const { a } = nodes();
    await a.putTerminal(terminal('T2'));
    await warmed(a, 'T2');
    await a.putTerminal(terminal('T2', { batch: '000002' }));
    t.same(await batchOf(a, 'T2'), { batch: '000002', hit: false }, 'putTerminal');
    await a.putSessionKeys('T2', KEYS, 60_000);
    t.same((await a.getTerminalContext('T2'))?.session, KEYS, 'putSessionKeys');
    t.equal(await a.incrMacFailures('T2'), 1);
    t.equal((await a.getTerminalContext('T2'))?.macFailures, 1, 'incrMacFailures');
    await a.resetMacFailures('T2');
    t.equal((await a.getTerminalContext('T2'))?.macFailures, 0, 'resetMacFailures');
    await a.deleteSessionKeys('T2');
    t.equal((await a.getTerminalContext('T2'))?.session, undefined, 'deleteSessionKeys');
  });

  t.test("every write on another node reaches this node's cache", async (t) => {
    const { a, b } = nodes();
    await b.putTerminal(terminal('T3'));
    await warmed(a, 'T3');
    const steps: [
      string,
      () => Promise<unknown>,
      (ctx: Awaited<ReturnType<Store['getTerminalContext']>>) => boolean,
    ][] = [
      ['putTerminal', () => b.putTerminal(terminal('T3', { batch: '000003' })), (c) => c?.terminal.batch === '000003'],
      ['putSessionKeys', () => b.putSessionKeys('T3', KEYS, 60_000), (c) => c?.session?.mak === KEYS.mak],
      ['incrMacFailures', () => b.incrMacFailures('T3'), (c) => c?.macFailures === 1],
      ['resetMacFailures', () => b.resetMacFailures('T3'), (c) => c?.macFailures === 0],
      ['deleteSessionKeys', () => b.deleteSessionKeys('T3'), (c) => c?.session === undefined],
    ];
    for (const [name, write, changed] of steps) {
      await a.getTerminalContext('T3');
      const before = await received();
      t.equal((await batchOf(a, 'T3')).hit, true, `${name}: kept before the write`);
      await write();
      await waitFor(`${name}'s invalidation`, async () => (await received()) > before);
      t.ok(changed(await a.getTerminalContext('T3')), `${name}: seen on the other node`);
    }
  });

  t.test('working keys that expire in Redis expire from the cache', async (t) => {
    const { a } = nodes();
    await a.putTerminal(terminal('T4'));
    await a.putSessionKeys('T4', KEYS, 400);
    await warmed(a, 'T4');
    t.same((await a.getTerminalContext('T4'))?.session, KEYS);
    await new Promise((r) => setTimeout(r, 450));
    t.equal((await a.getTerminalContext('T4'))?.session, undefined, 'gone with their PTTL');
  });

  t.test('a lost subscription empties the cache: a change it missed is read from Redis', async (t) => {
    const { a, keys } = nodes();
    await a.putTerminal(terminal('T5'));
    const store = await warmed(a, 'T5');
    const name = `${h.lastPrefix}terminal-cache`;
    const list = String(await admin.call('CLIENT', 'LIST'));
    const id = /id=(\d+) .*name=(\S+)/.exec(list.split('\n').find((l) => l.includes(`name=${name} `)) ?? '')?.[1];
    t.ok(id, 'the subscription is a named connection');
    const lost = await counter('boxfep_store_terminal_cache_dropped_total', { cause: 'lost' });
    await admin.call('CLIENT', 'KILL', 'ID', String(id));
    // What changes while the subscription is down publishes to nobody.
    await admin.hset(keys.terminals(), 'T5', encode(terminal('T5', { batch: '000005' })));
    await waitFor(
      'the loss to be noticed',
      async () => (await counter('boxfep_store_terminal_cache_dropped_total', { cause: 'lost' })) > lost,
    );
    await waitFor('the subscription to be back', () => store.terminalCacheLive);
    t.equal((await a.getTerminalContext('T5'))?.terminal.batch, '000005', 'the missed change is seen');
  });

  t.test('terminalCacheMs 0: every read goes to Redis and no subscription is made', async (t) => {
    const { a, keys } = nodes({ terminalCacheMs: 0 });
    await a.putTerminal(terminal('T6'));
    await a.getTerminalContext('T6');
    await a.getTerminalContext('T6');
    t.notOk((a as RedisStore).terminalCacheLive);
    await admin.hset(keys.terminals(), 'T6', encode(terminal('T6', { batch: '000006' })));
    t.equal((await a.getTerminalContext('T6'))?.terminal.batch, '000006');
    t.notMatch(String(await admin.call('CLIENT', 'LIST')), `name=${h.lastPrefix}terminal-cache `);
  });
}

t.test('redis', async (t) => cacheSuite(t, redisHarness()));

t.test('redis-cluster', async (t) => {
  const server = await startRedisServer({ cluster: true });
  t.teardown(() => server.stop());
  cacheSuite(t, redisHarness(`redis+cluster://127.0.0.1:${server.port}`, 'redis-cluster', server.port));
});

t.test('Redis down: the cache is off and reads fail as any call does; back up, it serves again', async (t) => {
  const server = await startRedisServer();
  const port = server.port;
  const s = createStore(`redis://127.0.0.1:${port}`, { keyPrefix: 'bfcache:', commandTimeoutMs: 300 }) as RedisStore;
  let restarted: Awaited<ReturnType<typeof startRedisServer>> | undefined;
  t.teardown(async () => {
    await s.close();
    await server.stop();
    await restarted?.stop();
  });
  await s.putTerminal(terminal('T7'));
  await warmed(s, 'T7');
  await server.stop();
  await waitFor('the cache to go off', () => !s.terminalCacheLive);
  await t.rejects(s.getTerminalContext('T7'), StoreUnavailableError, 'not served from the cache while down');
  restarted = await startRedisServer({ port });
  // The restarted server is empty: the terminal must be written again, and then read from there.
  await waitFor('the store to reconnect', () => s.healthy, 10_000);
  await s.putTerminal(terminal('T7', { batch: '000007' }));
  await waitFor(
    'the cache to be live again',
    async () => {
      await s.getTerminalContext('T7');
      return s.terminalCacheLive;
    },
    10_000,
  );
  t.equal((await s.getTerminalContext('T7'))?.terminal.batch, '000007');
});

t.test('Cluster: the node holding the subscription dies; the cache subscribes on another', async (t) => {
  const cluster = await startCluster();
  const prefix = 'bfcachecl:';
  const s = createStore(cluster.url, { keyPrefix: prefix }) as RedisStore;
  t.teardown(async () => {
    await s.close();
    await cluster.destroy();
  });
  await s.putTerminal(terminal('T8'));
  await warmed(s, 'T8');
  const holding = async () => {
    const found = [];
    for (const node of cluster.nodes) {
      const list = await redisCli(node.port, 'CLIENT', 'LIST').catch(() => '');
      if (list.includes(`name=${prefix}terminal-cache `)) found.push(node);
    }
    return found;
  };
  const [first] = await holding();
  t.ok(first, 'the subscription is on one node');
  await first?.stop();
  await waitFor('the cache to go off', () => !s.terminalCacheLive);
  await waitFor('the cache to be live again', () => s.terminalCacheLive, 15_000);
  const [second] = await holding();
  t.ok(second && second !== first, 'on another node');
  const before = await received();
  await redisCli(second?.port ?? 0, 'PUBLISH', `${prefix}inv:terminal`, 'T8');
  await waitFor('an invalidation published on that node', async () => (await received()) > before);
});
