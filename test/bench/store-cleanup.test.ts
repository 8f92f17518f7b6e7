// A Redis run's data is removed afterwards — its keys, its registry fields and schedule members —
// and nothing else (the real Redis at 127.0.0.1:6379, under a prefix unique to this test run).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import t from 'tap';
import { deleteRunKeys } from '../../bench/load/store-cleanup.js';

t.test('deleteRunKeys removes exactly the run tag’s data', async (t) => {
  const prefix = `bfbench:${randomBytes(4).toString('hex')}:`;
  const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1 });
  t.teardown(async () => {
    const [, keys] = await redis.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  await redis.set(`${prefix}{m:BENCHXY00000001}:o:329000000001`, 'x');
  await redis.set(`${prefix}{t:LXY00001}:sk`, 'x');
  await redis.set(`${prefix}{m:BENCHZZ00000001}:o:329000000001`, 'other run');
  await redis.hset(`${prefix}{g}:terminals`, 'LXY00001', 'a', 'LXY00002', 'b', 'LZZ00001', 'other');
  await redis.zadd(`${prefix}{g}:recover`, 1, 'BENCHXY00000001|329000000001', 2, 'BENCHZZ00000001|329000000009');
  await redis.zadd(`${prefix}{g}:push`, 1, 'BENCHXY00000001|LXY00001|329000000001');

  const removed = await deleteRunKeys('redis://127.0.0.1:6379', 'XY', prefix);
  t.equal(removed, 6, 'two keys, two registry fields, two schedule members');
  t.equal(await redis.exists(`${prefix}{m:BENCHXY00000001}:o:329000000001`), 0);
  t.equal(await redis.exists(`${prefix}{t:LXY00001}:sk`), 0);
  t.equal(await redis.get(`${prefix}{m:BENCHZZ00000001}:o:329000000001`), 'other run', 'another run kept');
  t.same(await redis.hkeys(`${prefix}{g}:terminals`), ['LZZ00001']);
  t.same(await redis.zrange(`${prefix}{g}:recover`, '0', '-1'), ['BENCHZZ00000001|329000000009']);
  t.equal(await redis.exists(`${prefix}{g}:push`), 0);
});
