// Idle detection for many mostly-idle connections without a timer per connection.
//
// A ring of buckets, one per `resolutionMs` tick. An entry lives in the bucket of the tick it was last
// filed under; activity only stamps `idleTick` (one property write, no Date.now, no Set move). When
// the cursor comes back to a bucket, a full timeout has passed for everything filed there: entries
// that were touched since are re-filed under their last tick, the rest are idle. A tick therefore
// costs O(entries filed in one bucket), never O(all connections), and an idle entry is reported
// between `timeoutMs` and `timeoutMs + resolutionMs` after its last activity.

export interface IdleEntry {
  /** Tick number of the last activity; written by `touch`. */
  idleTick: number;
  /** Bucket index this entry is filed in, or -1 when not filed. */
  idleSlot: number;
}

export class IdleWheel<T extends IdleEntry> {
  private readonly buckets: Set<T>[];
  private readonly slots: number;
  private tickNo = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly timeoutMs: number,
    readonly resolutionMs: number,
    private readonly onIdle: (entry: T) => void,
  ) {
    if (!(timeoutMs > 0) || !(resolutionMs > 0)) throw new RangeError('idle timeout and resolution must be > 0');
    this.slots = Math.max(1, Math.ceil(timeoutMs / resolutionMs));
    this.buckets = Array.from({ length: this.slots }, () => new Set<T>());
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.resolutionMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  add(entry: T): void {
    entry.idleTick = this.tickNo;
    this.file(entry, this.tickNo);
  }

  touch(entry: T): void {
    entry.idleTick = this.tickNo;
  }

  remove(entry: T): void {
    if (entry.idleSlot >= 0) this.buckets[entry.idleSlot].delete(entry);
    entry.idleSlot = -1;
  }

  get size(): number {
    let n = 0;
    for (const b of this.buckets) n += b.size;
    return n;
  }

  /** Advances one resolution step; public so tests can drive time without waiting. */
  tick(): void {
    this.tickNo++;
    const slot = this.tickNo % this.slots;
    const bucket = this.buckets[slot];
    if (bucket.size === 0) return;
    const idle: T[] = [];
    for (const entry of bucket) {
      if (this.tickNo - entry.idleTick >= this.slots) {
        idle.push(entry);
      } else if (entry.idleTick % this.slots !== slot) {
        bucket.delete(entry);
        this.file(entry, entry.idleTick);
      }
    }
    for (const entry of idle) {
      this.remove(entry);
      this.onIdle(entry);
    }
  }

  private file(entry: T, tick: number): void {
    if (entry.idleSlot >= 0) this.buckets[entry.idleSlot].delete(entry);
    entry.idleSlot = tick % this.slots;
    this.buckets[entry.idleSlot].add(entry);
  }
}
