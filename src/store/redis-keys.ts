// The Redis key schema (documented in docs/store.md). Every key of one merchant's transactions carries
// the hash tag {m:<MID>}, so each atomic step (a Lua script) touches one Cluster slot; per-terminal keys
// carry {t:<TID>}; the few global keys carry {g} and are only ever touched on their own.
import type { RequestKey } from './types.js';

export class RedisKeys {
  constructor(readonly prefix: string) {}

  #m(mid: string): string {
    return `${this.prefix}{m:${mid}}`;
  }

  /** Hash {fp, st, resp, rrn}: the idempotency record of one box request. */
  request(r: RequestKey): string {
    return `${this.#m(r.mid)}:rq:${r.tid}:${r.batch}:${r.stan}:${r.mti}`;
  }

  /** String: a reversal arrived for this TID + batch + STAN before (or without) its original. */
  tombstone(mid: string, tid: string, batch: string, stan: string): string {
    return `${this.#m(mid)}:tb:${tid}:${batch}:${stan}`;
  }

  /** msgpack Order. */
  order(mid: string, rrn: string): string {
    return `${this.orderPrefix(mid)}${rrn}`;
  }

  /** The merchant's order keys without the RRN: a script that reads an RRN derives the key from it. */
  orderPrefix(mid: string): string {
    return `${this.#m(mid)}:o:`;
  }

  /** String RRN: the order created by the request TID + batch + STAN. */
  orderIndex(mid: string, tid: string, batch: string, stan: string): string {
    return `${this.#m(mid)}:ix:${tid}:${batch}:${stan}`;
  }

  /** Hash {a, c}: the merchant's counted sales of one business day. */
  daily(mid: string, day: string): string {
    return `${this.#m(mid)}:d:${day}`;
  }

  /** Hash {da, dc, ca, cc}: settlement totals of one terminal's batch. */
  batch(mid: string, tid: string, batch: string): string {
    return `${this.#m(mid)}:b:${tid}:${batch}`;
  }

  /** Hash <rrn> → msgpack push meta, <rrn>:b → payload bytes: the terminal's pending 0620 pushes. */
  pushes(mid: string, tid: string): string {
    return `${this.#m(mid)}:p:${tid}`;
  }

  /** Hash tid → msgpack TerminalRecord (one key: the registry is small and listed whole). */
  terminals(): string {
    return `${this.prefix}{g}:terminals`;
  }

  sessionKeys(tid: string): string {
    return `${this.prefix}{t:${tid}}:sk`;
  }

  macFailures(tid: string): string {
    return `${this.prefix}{t:${tid}}:mf`;
  }

  /** Counter: RRN sequence of one business day, shared by all nodes. */
  rrnSequence(day: string): string {
    return `${this.prefix}{g}:rrn:${day}`;
  }

  /** Sorted set "MID|RRN" by next-check time: orders recovery must look at. */
  recovery(): string {
    return `${this.prefix}{g}:recover`;
  }

  /** Sorted set "MID|TID|RRN" by next attempt: pushes due for (re)sending. */
  pushDue(): string {
    return `${this.prefix}{g}:push`;
  }

  lease(name: string): string {
    return `${this.prefix}{l:${name}}`;
  }
}
