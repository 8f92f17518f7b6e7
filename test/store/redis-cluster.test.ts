// The shared suite against a Redis Cluster (one node owning all slots, started here). A cluster node
// refuses any multi-key command or script whose keys span slots (CROSSSLOT), so this run proves the
// key schema: every atomic step stays within one hash slot.
import t from 'tap';
import { redisHarness, startRedisServer } from './harness.js';
import { storeSuite } from './suite.js';

const server = await startRedisServer({ cluster: true });
t.teardown(() => server.stop());
storeSuite(t, redisHarness(`redis+cluster://127.0.0.1:${server.port}`, 'redis-cluster', server.port));
