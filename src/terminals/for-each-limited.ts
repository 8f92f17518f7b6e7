// Runs `fn` over `items` with at most `limit` calls in flight: fleet-wide commands make one or two
// store round trips per terminal, which in sequence would take minutes against a remote Redis.
export async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
