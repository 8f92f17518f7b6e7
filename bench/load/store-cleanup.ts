// After a spawned run on Redis: delete the keys of this run's terminals and merchants (every one holds
// the run tag in its TID `L<tag>nnnnn` or MID `BENCH<tag>nnnnnnnn`), so runs do not pile up data.
// SCAN with a MATCH pattern, never KEYS or FLUSHALL.
import { Redis } from 'ioredis';

export async function deleteRunKeys(url: string, tag: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let deleted = 0;
  try {
    for (const pattern of [`*BENCH${tag}*`, `*L${tag}[0-9][0-9][0-9][0-9][0-9]*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 2000);
        cursor = next;
        if (keys.length > 0) deleted += await redis.unlink(...keys);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
  return deleted;
}
