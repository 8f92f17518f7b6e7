// Crash recovery against a standalone Redis started for this file (see crash-suite.ts).
import t from 'tap';
import { crashSuite } from './crash-suite.js';
import { startRedis } from './redis-procs.js';
import { startWorld, type World } from './world.js';

const redis = await startRedis();
const world: World = await startWorld(redis.url);
t.teardown(async () => {
  await world.close();
  await redis.destroy();
});
crashSuite(t, () => world);
