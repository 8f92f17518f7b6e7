// After a spawned run on Redis: remove this run's data, so runs do not pile up. Every key of the run
// holds its tag — merchant keys `{m:BENCH<tag>…}`, terminal keys `{t:L<tag>…}` — and the shared
// structures hold it in their members: the terminal registry hash (field = TID) and the recovery
// and push schedules (member `MID|…`). SCAN/HSCAN/ZSCAN with MATCH, never KEYS or FLUSHALL.
import { Redis } from 'ioredis';

export async function deleteRunKeys(url: string, tag: string, prefix = 'bf:'): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let removed = 0;
  try {
    for (const pattern of [`${prefix}{m:BENCH${tag}*`, `${prefix}{t:L${tag}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 2000);
        cursor = next;
        if (keys.length > 0) removed += await redis.unlink(...keys);
      } while (cursor !== '0');
    }
    let cursor = '0';
    const registry = `${prefix}{g}:terminals`;
    do {
      const [next, flat] = await redis.hscan(registry, cursor, 'MATCH', `L${tag}*`, 'COUNT', 2000);
      cursor = next;
      const fields = flat.filter((_, i) => i % 2 === 0);
      if (fields.length > 0) removed += await redis.hdel(registry, ...fields);
    } while (cursor !== '0');
    for (const schedule of [`${prefix}{g}:recover`, `${prefix}{g}:push`]) {
      cursor = '0';
      do {
        const [next, flat] = await redis.zscan(schedule, cursor, 'MATCH', `BENCH${tag}*`, 'COUNT', 2000);
        cursor = next;
        const members = flat.filter((_, i) => i % 2 === 0);
        if (members.length > 0) removed += await redis.zrem(schedule, ...members);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
  return removed;
}
