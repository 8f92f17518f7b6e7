// The pid of the Redis server a run's store points at, when it runs on this machine (loopback), so the
// report can say how much of the machine's CPU Redis took per transaction.
import { Redis } from 'ioredis';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** `process_id` from INFO server; undefined for a remote Redis, a Cluster URL list, or no answer. */
export async function localRedisPid(storeUrl: string): Promise<number | undefined> {
  let url: URL;
  try {
    url = new URL(storeUrl);
  } catch {
    return undefined;
  }
  if (!/^rediss?:$/.test(url.protocol) || !LOOPBACK.has(url.hostname)) return undefined;
  const client = new Redis(storeUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1000 });
  try {
    await client.connect();
    const info = await client.info('server');
    const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}
