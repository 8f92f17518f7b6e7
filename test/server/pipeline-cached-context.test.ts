// Box requests decided on a terminal context from the node's cache (Redis store) that lags Redis: the
// window in which a change made on another node (a sign-on's new working keys, a settlement's new
// batch, a terminal enabled) is in Redis and its invalidation has not arrived yet. The test makes that
// window by writing Redis behind the node's back (no invalidation): each refusal the stale context
// would give is decided again on a fresh read instead of being answered (A0, 77, 58).
import t from 'tap';
import { Box } from '../../src/box/box.js';
import { queryRequest } from '../../src/box/messages.js';
import { RC } from '../../src/flows/response-codes.js';
import type { Dispatcher } from '../../src/server/dispatcher.js';
import { encode } from '../../src/store/codec.js';
import type { RedisStore } from '../../src/store/redis.js';
import { RedisKeys } from '../../src/store/redis-keys.js';
import { seriesTotal } from '../helpers/metrics.js';
import { waitFor } from '../helpers/poll.js';
import { redisHarness } from '../store/harness.js';
import { MID, sessionTerminal, startHarness, TMK } from './helpers/harness.js';

const TID = '10000041';

const queryRoute = {
  routes: ({ dispatcher }: { dispatcher: Dispatcher }) => {
    dispatcher.register({ mti: '0200', processingCode: '300000', type: '01' }, 'query', async () => ({
      rc: RC.APPROVED,
      fields: { 37: '000000000042' },
    }));
  },
};

const invalidations = () => seriesTotal('boxfep_store_terminal_cache_invalidations_total');
const rechecks = () => seriesTotal('boxfep_server_context_rechecks_total');
const macFailures = () => seriesTotal('boxfep_server_mac_failures_total');

t.test(
  'refusals on a stale cached context are decided again on a fresh read: new keys, a new batch, enabled',
  async (t) => {
    const redis = redisHarness();
    const store = redis.make();
    const admin = redis.admin!;
    const sk = new RedisKeys(redis.lastPrefix as string).sessionKeys(TID);
    const mf = new RedisKeys(redis.lastPrefix as string).macFailures(TID);
    const h = await startHarness([sessionTerminal(TID)], {}, { ...queryRoute, store });
    t.teardown(async () => {
      await h.stop();
      await redis.cleanup();
    });
    const box = await Box.connect({ port: h.port, tid: TID, mid: MID, tmk: TMK });
    t.teardown(() => box.close());
    const query = (stan: string) => box.query({ batch: box.batch, stan });

    /** A sign-on whose own invalidation has reached the node's cache; its keys as the box and Redis hold them. */
    const signOn = async () => {
      const before = await invalidations();
      const reply = await box.signOn();
      t.equal(reply.rc, RC.APPROVED);
      await waitFor('the sign-on’s invalidation', async () => (await invalidations()) > before);
      return { f62: reply.message.fields[62] as string, stored: (await admin.getBuffer(sk)) as Buffer };
    };
    // The node subscribes for invalidations on its first read; from then on it hears every write.
    await store.getTerminalContext(TID);
    await waitFor('the cache to be live', async () => (store as RedisStore).terminalCacheLive);
    const first = await signOn();
    const second = await signOn();

    // Redis and the box back on the first keys (no invalidation): the node reads them and keeps them.
    await admin.set(sk, first.stored, 'PX', 3_600_000);
    box.keys.acceptField62(first.f62);
    t.equal((await query('000001')).rc, RC.APPROVED, 'first keys: read from Redis, kept');
    const hits = await seriesTotal('boxfep_store_terminal_cache_lookups_total', { result: 'hit' });
    t.equal((await query('000002')).rc, RC.APPROVED, 'first keys: served from the cache');
    t.equal(
      (await seriesTotal('boxfep_store_terminal_cache_lookups_total', { result: 'hit' })) - hits,
      1,
      'a cache hit',
    );

    // The second keys written as a sign-on elsewhere would, its invalidation still on the way.
    await admin.set(sk, second.stored, 'PX', 3_600_000);
    box.keys.acceptField62(second.f62);
    const [checked, failed] = [await rechecks(), await macFailures()];
    const r = await query('000003');
    t.equal(r.rc, RC.APPROVED, 'approved on the fresh read');
    t.equal(r.macValid, true, "the reply is MACed with the fresh read's keys");
    t.equal((await rechecks()) - checked, 1, 'decided again once');
    t.equal((await macFailures()) - failed, 0, 'not counted as a bad MAC');
    t.equal(await admin.exists(mf), 0, 'no MAC-failure run started');

    // A MAC that is simply wrong is still refused, and counted once.
    const [beforeBad, heard] = [await rechecks(), await invalidations()];
    const bad = await box.exchange(
      queryRequest({ tid: TID, mid: MID, batch: box.batch }, box.nextStan(), {
        batch: box.batch,
        stan: '000003',
      }),
      { corruptMac: true },
    );
    t.equal(bad.rc, RC.MAC_ERROR, 'a bad MAC is still A0');
    t.equal((await rechecks()) - beforeBad, 1, 'after one fresh read');
    t.equal(await admin.get(mf), '1', 'counted once');

    // A batch closed on another node (the registry written behind the node's back): the box is on the
    // new batch, the cached record on the old one.
    const terminals = new RedisKeys(redis.lastPrefix as string).terminals();
    const record = (await store.getTerminal(TID))!;
    t.equal((await query('000004')).rc, RC.APPROVED, 'a good MAC ends the run');
    // The run's count and its reset each published an invalidation: once both are heard, a read is kept.
    await waitFor('the run’s two invalidations', async () => (await invalidations()) >= heard + 2);
    t.equal((await query('000005')).rc, RC.APPROVED, 'kept again');
    await admin.hset(terminals, TID, encode({ ...record, batch: '000002' }));
    box.batch = '000002';
    const beforeBatch = await rechecks();
    t.equal((await query('000006')).rc, RC.APPROVED, 'the new batch is accepted on a fresh read, not 77');
    t.equal((await rechecks()) - beforeBatch, 1, 'decided again once');

    // A terminal enabled on another node while this node holds it disabled.
    await admin.hset(terminals, TID, encode({ ...record, batch: '000002', status: 'disabled' }));
    t.equal((await store.getTerminalContext(TID, { fresh: true }))?.terminal.status, 'disabled', 'kept disabled');
    await admin.hset(terminals, TID, encode({ ...record, batch: '000002', status: 'active' }));
    const beforeEnabled = await rechecks();
    t.equal((await query('000007')).rc, RC.APPROVED, 'enabled: approved on a fresh read, not 58');
    t.equal((await rechecks()) - beforeEnabled, 1, 'decided again once');
  },
);
