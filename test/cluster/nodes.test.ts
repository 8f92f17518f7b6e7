// Two boxfep nodes on a 3-master Redis Cluster started for this file (see nodes-suite.ts): the bus is
// Cluster pub/sub, the recovery claim a key of its own slot.
import t from 'tap';
import { nodesSuite } from '../recovery/nodes-suite.js';
import { startCluster } from '../recovery/redis-procs.js';
import { startWorld, type World } from '../recovery/world.js';

const cluster = await startCluster();
const world: World = await startWorld(cluster.url);
t.teardown(async () => {
  await world.close();
  await cluster.destroy();
});
nodesSuite(t, () => world);
