// The real redis-server the Redis tests use, and clearing what a test wrote there: every test writes
// under a key prefix of its own and removes exactly that prefix when it ends.
import { Redis } from 'ioredis';

export const REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * Deletes every key under `prefix`. One DEL per key, so it works on a Cluster node too (keys of
 * several slots cannot share one DEL). Uses `client` when given (left connected), else a client of
 * its own to `REDIS_URL`.
 */
export async function deleteRedisKeys(prefix: string, client?: Redis): Promise<void> {
  const redis = client ?? new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    for (let i = 0; i < 10_000; i++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      await Promise.all(keys.map((k) => redis.del(k)));
      cursor = next;
      if (cursor === '0') return;
    }
  } finally {
    if (!client) redis.disconnect();
  }
}
