// Crash recovery against a 3-master Redis Cluster started for this file (see crash-suite.ts): the
// same suite, with every multi-key step confined to one slot by the {m:<MID>} hash tag.
import t from 'tap';
import { crashSuite } from '../recovery/crash-suite.js';
import { startCluster } from '../recovery/redis-procs.js';
import { startWorld, type World } from '../recovery/world.js';

const cluster = await startCluster();
const world: World = await startWorld(cluster.url);
t.teardown(async () => {
  await world.close();
  await cluster.destroy();
});
crashSuite(t, () => world);
