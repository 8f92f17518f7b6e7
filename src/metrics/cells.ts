// Counting on the hot path without prom-client's per-call work. `counter.inc({ type, rc })` validates
// the labels, joins them into a key string and looks that up: ~270 ns and a string per call, paid
// several times per transaction (bench/metrics/run.js). A cell is the running total for one fixed set
// of label values, found by plain Map lookups on the values; what the cells counted is added to the
// prom-client counter by its `collect` hook, which prom-client runs before every read (/metrics,
// the cluster aggregator, `get()`), so every read sees every increment made before it.
import type { Counter, Gauge, Histogram } from 'prom-client';

/** The running total for one set of label values. */
export class CounterCell {
  /** Counted since the last flush. */
  pending = 0;

  constructor(readonly labels: Record<string, string>) {}

  inc(n = 1): void {
    this.pending += n;
  }
}

/** Cells found by one or two label values (in label-name order), each made on first use by `add`. */
abstract class LabelledCells<C> {
  private readonly byFirst = new Map<string, C | Map<string, C>>();

  constructor(protected readonly names: readonly string[]) {}

  /** The cell of a one-label metric for `value`. */
  of(value: string): C {
    let cell = this.byFirst.get(value) as C | undefined;
    if (cell === undefined) {
      cell = this.add({ [this.names[0] as string]: value });
      this.byFirst.set(value, cell);
    }
    return cell;
  }

  /** The cell of a two-label metric for `first`, `second`. */
  of2(first: string, second: string): C {
    let inner = this.byFirst.get(first) as Map<string, C> | undefined;
    if (inner === undefined) {
      inner = new Map();
      this.byFirst.set(first, inner);
    }
    let cell = inner.get(second);
    if (cell === undefined) {
      cell = this.add({ [this.names[0] as string]: first, [this.names[1] as string]: second });
      inner.set(second, cell);
    }
    return cell;
  }

  protected abstract add(labels: Record<string, string>): C;
}

/**
 * Cells of a counter labelled by one or two names, in `labelNames` order (`of`, `of2`), or by any
 * number (`cell`, for a caller that keeps the cell). Create the counter with
 * `collect() { cells.flush(); }`.
 */
export class CounterCells extends LabelledCells<CounterCell> {
  private readonly cells: CounterCell[] = [];

  constructor(
    private readonly counter: Counter<string>,
    ...labelNames: string[]
  ) {
    super(labelNames);
  }

  /**
   * A new cell for a whole label set, not looked up again: the caller keeps it (two cells of the same
   * labels are added up when read). The series appears now, as with the first direct inc().
   */
  cell(labels: Record<string, string>): CounterCell {
    return this.add(labels);
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

  protected add(labels: Record<string, string>): CounterCell {
    // The label set is validated once, here, by a zero increment (prom-client refuses unknown names).
    this.counter.inc(labels, 0);
    const cell = new CounterCell(labels);
    this.cells.push(cell);
    return cell;
  }
}

/** prom-client's per-series record inside a histogram (not part of its typed API). */
interface HistogramEntry {
  labels: Record<string, string>;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

/** The part of a prom-client Histogram the cells work with. */
type HistogramInternals = Histogram<string> & { hashMap: Record<string, HistogramEntry> };

/**
 * One series of a histogram. Sum and count go straight to prom-client's record of the series, in
 * the order observe() would add them (so even the float sum is the same to the last bit); the
 * bucket counts, whose record is keyed by the bounds as numbers (a number-to-string conversion per
 * access), are kept here and added when the histogram is read.
 */
export class HistogramCell {
  readonly counts: Float64Array;
  private map: Record<string, HistogramEntry> | undefined;
  private entry: HistogramEntry | undefined;

  constructor(
    readonly labels: Record<string, string>,
    private readonly histogram: HistogramInternals,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
    this.attach();
  }

  /** As Histogram.observe: the first bucket whose upper bound is ≥ value (none: only +Inf). */
  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    if (this.histogram.hashMap !== this.map) this.attach();
    const bounds = this.bounds;
    for (let i = 0; i < bounds.length; i++) {
      if (value <= bounds[i]) {
        this.counts[i]++;
        break;
      }
    }
    const entry = this.entry as HistogramEntry;
    entry.sum += value;
    entry.count += 1;
  }

  /** Adds the bucket counts to the record. */
  flush(): void {
    if (this.histogram.hashMap !== this.map) {
      // Reset since the last observation: what was counted belonged to the series before it.
      this.counts.fill(0);
      return;
    }
    const entry = this.entry as HistogramEntry;
    for (let i = 0; i < this.bounds.length; i++) {
      if (this.counts[i] === 0) continue;
      entry.bucketValues[this.bounds[i]] += this.counts[i];
      this.counts[i] = 0;
    }
  }

  /**
   * Finds the series' record, creating it as observe() would. After a reset (a new map) the bucket
   * counts not yet added belonged to the series before it: they are dropped, as the reset dropped it.
   */
  private attach(): void {
    this.counts.fill(0);
    const names = Object.keys(this.labels);
    const find = () =>
      Object.values(this.histogram.hashMap).find(
        (e) =>
          e.labels !== undefined &&
          Object.keys(e.labels).length === names.length &&
          names.every((n) => e.labels[n] === this.labels[n]),
      );
    let entry = find();
    if (entry === undefined) {
      this.histogram.zero(this.labels);
      entry = find();
    }
    if (entry === undefined || typeof entry.sum !== 'number' || typeof entry.bucketValues !== 'object') {
      const which = names.map((n) => `${n}=${this.labels[n]}`).join(',');
      throw new Error(`histogram cell ${which}: prom-client's series record is not as expected`);
    }
    this.entry = entry;
    this.map = this.histogram.hashMap;
  }
}

/**
 * Cells of a histogram labelled by one or two names (in `labelNames` order): the hot path skips
 * prom-client's per-call label validation, hashing and closure. This reaches into prom-client's
 * series record (the one place that does; its layout: labels, bucketValues by upper bound, sum,
 * count); the record is created by the public `zero(labels)`, and test/metrics/cells.test.ts compares
 * the exposition with direct observe() calls, so a prom-client change that breaks the layout fails
 * there. Create the histogram with `collect() { cells.flush(); }`.
 */
export class HistogramCells extends LabelledCells<HistogramCell> {
  private readonly cells: HistogramCell[] = [];

  constructor(
    private readonly histogram: Histogram<string>,
    labelNames: string | readonly [string] | readonly [string, string],
    private readonly bounds: readonly number[],
  ) {
    super(typeof labelNames === 'string' ? [labelNames] : labelNames);
  }

  flush(): void {
    for (const cell of this.cells) cell.flush();
  }

  protected add(labels: Record<string, string>): HistogramCell {
    const cell = new HistogramCell(labels, this.histogram as HistogramInternals, this.bounds);
    this.cells.push(cell);
    return cell;
  }
}

/**
 * A gauge series moved up and down on the hot path (calls in flight): the net change since the last
 * read, added to the gauge by its `collect` hook. As with direct inc()/dec(), a series appears once
 * it was first moved, and a move since the last read recreates it after a reset even when the net
 * change is zero. Create the gauge with `collect() { cell.flush(); … }` for each cell.
 */
export class GaugeCell {
  private pending = 0;
  private moved = false;

  constructor(
    private readonly gauge: Gauge<string>,
    readonly labels: Record<string, string>,
  ) {}

  inc(): void {
    this.pending++;
    this.moved = true;
  }

  dec(): void {
    this.pending--;
    this.moved = true;
  }

  flush(): void {
    if (!this.moved) return;
    const n = this.pending;
    this.pending = 0;
    this.moved = false;
    this.gauge.inc(this.labels, n);
  }
}

/** Gauge cells by one label's value; made on first use. */
export class GaugeCells {
  private readonly byValue = new Map<string, GaugeCell>();

  constructor(
    private readonly gauge: Gauge<string>,
    private readonly labelName: string,
  ) {}

  of(value: string): GaugeCell {
    let cell = this.byValue.get(value);
    if (cell === undefined) {
      cell = new GaugeCell(this.gauge, { [this.labelName]: value });
      this.byValue.set(value, cell);
    }
    return cell;
  }

  flush(): void {
    for (const cell of this.byValue.values()) cell.flush();
  }
}
