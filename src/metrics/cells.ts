// Counting on the hot path without prom-client's per-call work. `counter.inc({ type, rc })` validates
// the labels, joins them into a key string and looks that up: ~270 ns and a string per call, paid
// several times per transaction (bench/metrics/run.js). A cell is the running total for one fixed set
// of label values, found by plain Map lookups on the values; what the cells counted is added to the
// prom-client counter by its `collect` hook, which prom-client runs before every read (/metrics,
// the cluster aggregator, `get()`), so every read sees every increment made before it.
import type { Counter } from 'prom-client';

/** The running total for one set of label values. */
export class CounterCell {
  /** Counted since the last flush. */
  pending = 0;

  constructor(readonly labels: Record<string, string>) {}

  inc(n = 1): void {
    this.pending += n;
  }
}

/**
 * Cells of a counter labelled by one or two names, in `labelNames` order. Create the counter with
 * `collect() { cells.flush(); }`.
 */
export class CounterCells {
  private readonly byFirst = new Map<string, CounterCell | Map<string, CounterCell>>();
  private readonly cells: CounterCell[] = [];
  private readonly names: readonly [string] | readonly [string, string];

  constructor(
    private readonly counter: Counter<string>,
    ...labelNames: [string] | [string, string]
  ) {
    this.names = labelNames;
  }

  /** The cell of a one-label counter for `value`. */
  of(value: string): CounterCell {
    let cell = this.byFirst.get(value) as CounterCell | undefined;
    if (cell === undefined) {
      cell = this.add({ [this.names[0]]: value });
      this.byFirst.set(value, cell);
    }
    return cell;
  }

  /** The cell of a two-label counter for `first`, `second`. */
  of2(first: string, second: string): CounterCell {
    let inner = this.byFirst.get(first) as Map<string, CounterCell> | undefined;
    if (inner === undefined) {
      inner = new Map();
      this.byFirst.set(first, inner);
    }
    let cell = inner.get(second);
    if (cell === undefined) {
      cell = this.add({ [this.names[0]]: first, [this.names[1] as string]: second });
      inner.set(second, cell);
    }
    return cell;
  }

  /** Adds what the cells counted to the counter. */
  flush(): void {
    for (const cell of this.cells) {
      if (cell.pending === 0) continue;
      const n = cell.pending;
      cell.pending = 0;
      this.counter.inc(cell.labels, n);
    }
  }

  private add(labels: Record<string, string>): CounterCell {
    // The label set is validated once, here, by a zero increment (prom-client refuses unknown names).
    this.counter.inc(labels, 0);
    const cell = new CounterCell(labels);
    this.cells.push(cell);
    return cell;
  }
}
