// RRN sequences handed out in blocks: a node reserves `blockSize` numbers of the day's shared counter
// with one INCRBY and then assigns them locally, so the hot path rarely pays a round trip for an RRN
// and RRNs stay unique per day across nodes. A node that stops leaves a gap; RRNs need not be dense.
import { StoreError } from './errors.js';
import { businessDay, formatRrn, RRN_SEQUENCE_MAX } from './ids.js';

/** Reserves `n` more numbers of `day`'s sequence; resolves to the last one reserved. */
export type ReserveSequence = (day: string, n: number) => Promise<number>;

export class RrnBlocks {
  #day = '';
  #next = 1;
  #last = 0;
  #refill: Promise<void> | undefined;

  constructor(
    readonly reserve: ReserveSequence,
    readonly blockSize = 100,
  ) {}

  async next(now: number): Promise<string> {
    const day = businessDay(now);
    while (this.#day !== day || this.#next > this.#last) await this.#reserveFor(day);
    const seq = this.#next++;
    if (seq > RRN_SEQUENCE_MAX) throw new StoreError(`RRN sequence of ${day} exhausted`);
    return formatRrn(now, seq);
  }

  #reserveFor(day: string): Promise<void> {
    this.#refill ??= this.reserve(day, this.blockSize)
      .then((last) => {
        this.#day = day;
        this.#last = last;
        this.#next = last - this.blockSize + 1;
      })
      .finally(() => {
        this.#refill = undefined;
      });
    return this.#refill;
  }
}
