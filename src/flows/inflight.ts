// The requests executing on this node, by request key: a copy of one still running waits for the
// first copy's promise instead of asking the store (duplicates.ts).
//
// A holder per entry, not the promise itself: a table the Map left behind may still point to an
// entry (src/heap/churn-map.ts says why), and a promise kept that way keeps its answer; a holder let
// go of at the end keeps nothing. The keys are request.ts's `keyString`.
import { ChurnMap } from '../heap/churn-map.js';
import type { TransactionResult } from '../server/dispatcher.js';

/** One request's entry; `running` is cleared when the request leaves. */
export class Running {
  constructor(
    readonly key: string,
    public running: Promise<TransactionResult> | undefined,
  ) {}
}

export class InflightRequests {
  private readonly byKey = new ChurnMap<string, Running>();

  /** Requests executing now. */
  get size(): number {
    return this.byKey.size;
  }

  /** The running request under `key`, if any. */
  get(key: string): Promise<TransactionResult> | undefined {
    return this.byKey.get(key)?.running;
  }

  /** Makes `running` visible under `key` (replacing an earlier entry); leave with the entry returned. */
  enter(key: string, running: Promise<TransactionResult>): Running {
    const entry = new Running(key, running);
    this.byKey.set(key, entry);
    return entry;
  }

  /** Takes `entry` out, unless a later request replaced it, and lets go of its promise either way. */
  leave(entry: Running): void {
    if (this.byKey.get(entry.key) === entry) this.byKey.delete(entry.key);
    entry.running = undefined;
  }
}
