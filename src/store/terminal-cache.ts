// A node's copy of the terminal contexts it has read from Redis, so that a box request's first step
// (its terminal, working keys and MAC-failure count) costs no round trip. It is right only while the
// invalidations arrive: every write to those keys publishes the TID from inside its own script
// (redis-scripts.ts), and the store's subscription hands each one to `invalidate`. While that
// subscription is down nothing is served from here, and it starts empty again when it comes back.
// What is left is the time an invalidation takes to arrive (a message on another connection): a
// request read from here in that window sees the context as it was, and the box server decides any
// refusal made on a cached context once more on a fresh read (pipeline.ts).
import { Lru } from '../crypto/lru.js';
import { terminalCacheCells, terminalCacheDropCells } from '../metrics/store.js';
import { deepFreeze } from './deep-freeze.js';
import type { TerminalContext } from './store.js';

export interface TerminalCacheOptions {
  /** Contexts kept at most (least recently used out). */
  capacity: number;
  /** The longest any context is kept: a bound on what a lost invalidation could leave behind. */
  maxAgeMs: number;
  /** Monotonic milliseconds. */
  now?: () => number;
}

interface Entry {
  readonly context: TerminalContext;
  readonly expiresAt: number;
}

const hit = terminalCacheCells.of('hit');
const miss = terminalCacheCells.of('miss');
const bypass = terminalCacheCells.of('bypass');
const changed = terminalCacheDropCells.of('changed');
const expired = terminalCacheDropCells.of('expired');
const lost = terminalCacheDropCells.of('lost');

export class TerminalCache {
  readonly #entries: Lru<string, Entry>;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  /** Moves on every invalidation: a read that started before one is not kept. */
  #generation = 0;
  #live = false;

  constructor(opts: TerminalCacheOptions) {
    this.#entries = new Lru(opts.capacity);
    this.#maxAgeMs = opts.maxAgeMs;
    this.#now = opts.now ?? (() => performance.now());
  }

  /** True while invalidations are known to arrive; only then is anything served or kept. */
  get live(): boolean {
    return this.#live;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The context as last read, or undefined (not kept, expired, or the cache is not live). */
  get(tid: string): TerminalContext | undefined {
    if (!this.#live) {
      bypass.inc();
      return undefined;
    }
    const entry = this.#entries.get(tid);
    if (entry !== undefined) {
      if (entry.expiresAt > this.#now()) {
        hit.inc();
        return entry.context;
      }
      this.#entries.delete(tid);
      expired.inc();
    }
    miss.inc();
    return undefined;
  }

  /** Taken before a read is sent; hand it back to `keep`. */
  generation(): number {
    return this.#generation;
  }

  /**
   * Keeps what a read returned, unless an invalidation arrived since it was sent (the read may be
   * older than the change) or the cache is not live. `ttlMs`: the shortest remaining life of the keys
   * read (a session's working keys, a run of MAC failures), undefined when none expires. The records
   * are frozen in place: every reader shares them from now on.
   */
  keep(tid: string, context: TerminalContext, ttlMs: number | undefined, generation: number): void {
    if (!this.#live || generation !== this.#generation) return;
    const life = ttlMs === undefined ? this.#maxAgeMs : Math.min(ttlMs, this.#maxAgeMs);
    if (!(life > 0)) return;
    const cached: TerminalContext = deepFreeze({
      terminal: context.terminal,
      session: context.session,
      macFailures: context.macFailures,
      cached: true,
    });
    this.#entries.set(tid, { context: cached, expiresAt: this.#now() + life });
  }

  /** One terminal changed (its record, working keys or MAC-failure count). */
  invalidate(tid: string): void {
    this.#generation++;
    if (this.#entries.delete(tid)) changed.inc();
  }

  /**
   * The invalidations start (true) or stop (false) arriving. Either way what is kept is dropped: a
   * change made while they were not arriving would never be seen.
   */
  setLive(live: boolean): void {
    this.#generation++;
    if (this.#entries.size > 0) lost.inc(this.#entries.size);
    this.#entries.clear();
    this.#live = live;
  }
}
