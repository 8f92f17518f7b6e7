// Two boxfep nodes on one standalone Redis started for this file (see nodes-suite.ts).
import t from 'tap';
import { nodesSuite } from './nodes-suite.js';
import { startRedis } from './redis-procs.js';
import { startWorld, type World } from './world.js';

const redis = await startRedis();
const world: World = await startWorld(redis.url);
t.teardown(async () => {
  await world.close();
  await redis.destroy();
});
nodesSuite(t, () => world);
