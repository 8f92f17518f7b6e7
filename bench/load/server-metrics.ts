// What a spawned boxfep says about its own store over the measured window, read from its /metrics at
// the window's edges: store operations per transaction (Redis round trips, by operation) and the
// terminal cache's lookups. Two scrapes a run, off the measured path; a scrape that fails leaves the
// figures out rather than failing the run.
import { get } from 'node:http';

/** Counter values by series (`name{labels}` as exposed), for the families read here. */
export type Counters = Map<string, number>;

const FAMILIES = ['boxfep_store_command_seconds_count', 'boxfep_store_terminal_cache_lookups_total'];

export interface StoreSummary {
  /** Store operations (one Redis round trip each on a standalone server) per transaction answered. */
  opsPerTx: number;
  /** The same by operation, largest first; those under 0.005 per transaction left out. */
  byOp: Record<string, number>;
  /** The terminal cache's lookups in the window (Redis store). */
  terminalCache?: { hit: number; miss: number; bypass: number; hitRatio: number };
}

/** Scrapes `http://127.0.0.1:PORT/metrics` (bounded); undefined when it cannot. */
export function scrapeCounters(port: number, timeoutMs = 2000): Promise<Counters | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/metrics', timeout: timeoutMs }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        resolve(undefined);
        return;
      }
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve(parseCounters(text)));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** The series of the families read here, from the Prometheus text format. */
export function parseCounters(text: string): Counters {
  const out: Counters = new Map();
  for (const line of text.split('\n')) {
    if (!FAMILIES.some((f) => line.startsWith(f))) continue;
    const at = line.lastIndexOf(' ');
    const value = Number(line.slice(at + 1));
    if (at > 0 && Number.isFinite(value)) out.set(line.slice(0, at), value);
  }
  return out;
}

/** The window's store figures: what the counters moved by, per transaction answered. */
export function storeSummary(start: Counters, end: Counters, transactions: number): StoreSummary | undefined {
  if (transactions <= 0) return undefined;
  const moved = (series: string) => (end.get(series) ?? 0) - (start.get(series) ?? 0);
  const perTx = (n: number) => Math.round((n / transactions) * 100) / 100;
  const byOp: Record<string, number> = {};
  let ops = 0;
  const cache = { hit: 0, miss: 0, bypass: 0 };
  for (const series of end.keys()) {
    const label = (name: string) => new RegExp(`${name}="([^"]*)"`).exec(series)?.[1];
    if (series.startsWith('boxfep_store_command_seconds_count')) {
      const n = moved(series);
      const op = label('op') ?? '?';
      if (n > 0) byOp[op] = (byOp[op] ?? 0) + n;
      ops += n;
    } else {
      const result = label('result');
      if (result === 'hit' || result === 'miss' || result === 'bypass') cache[result] += moved(series);
    }
  }
  const lookups = cache.hit + cache.miss + cache.bypass;
  // The memory store times nothing and has no terminal cache: nothing to report.
  if (ops === 0 && lookups === 0) return undefined;
  const sorted = Object.entries(byOp).sort((a, b) => b[1] - a[1]);
  // Background steps (the recovery and push passes, the lease) round to nothing per transaction.
  const shown = sorted.map(([k, v]) => [k, perTx(v)] as const).filter(([, v]) => v > 0);
  const summary: StoreSummary = { opsPerTx: perTx(ops), byOp: Object.fromEntries(shown) };
  if (lookups > 0) {
    summary.terminalCache = { ...cache, hitRatio: Math.round((cache.hit / lookups) * 10_000) / 10_000 };
  }
  return summary;
}
