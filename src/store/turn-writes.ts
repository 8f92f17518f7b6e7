// Redis commands issued while the event loop handles one batch of I/O (many boxes' frames, a burst of
// Redis replies whose continuations send the next step) leave in one `writev(2)` per Redis
// connection instead of a `write(2)` each: the first command of a loop turn corks the connections,
// and a setImmediate, after the turn's I/O callbacks and their promise continuations, uncorks them.
// ioredis's own auto-pipelining is not this: it holds a batch back while the previous one is in
// flight (docs/store.md). The UnionPay host link batches its frames the same way (link.ts).
//
// A write to a loopback or LAN socket costs 10–40 µs here; at a few commands per loop turn or
// fewer (an open loop well below capacity) nothing changes but one setImmediate per turn.

/** What is corked: a net.Socket, as ioredis exposes it (`redis.stream`). */
export interface Corkable {
  cork(): void;
  uncork(): void;
  readonly destroyed: boolean;
}

export class TurnWrites {
  /** The streams corked in this turn; undefined between turns. */
  #held: Corkable[] | undefined;

  /** `streams`: the connections commands may go out on now (a Cluster's nodes change). */
  constructor(private readonly streams: () => Iterable<Corkable | undefined>) {}

  /** Holds this turn's writes until the turn ends; call before each command. */
  hold(): void {
    if (this.#held) return;
    const held: Corkable[] = [];
    for (const s of this.streams()) {
      if (s === undefined || s.destroyed) continue;
      s.cork();
      held.push(s);
    }
    this.#held = held;
    setImmediate(releaseTurn, this);
  }

  /** Sends what the turn held (also called by the turn's setImmediate). */
  release(): void {
    const held = this.#held;
    this.#held = undefined;
    if (held) for (const s of held) s.uncork();
  }
}

function releaseTurn(writes: TurnWrites): void {
  writes.release();
}
