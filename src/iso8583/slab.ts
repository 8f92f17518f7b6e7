// A slab of memory that messages are encoded into in place and handed out as views, as
// Buffer.allocUnsafe hands out views of Node's 8 KB pool: the codec reserves the worst case it may
// write, writes, then takes the view of what it wrote; the next message starts after it. A view keeps
// its whole slab alive, as a pooled Buffer keeps its pool.
export class Slab {
  /** Empty until the first reservation: a codec that never encodes in place holds no slab. */
  private buf = Buffer.alloc(0);
  private start = 0;

  constructor(private readonly bytes: number) {}

  /** Where the next view starts in the buffer `reserve` returned. */
  get offset(): number {
    return this.start;
  }

  /** The buffer to write into from `offset`, with at least `n` bytes there (a new slab if need be). */
  reserve(n: number): Buffer {
    if (this.buf.length - this.start < n) {
      this.buf = Buffer.allocUnsafeSlow(Math.max(this.bytes, n));
      this.start = 0;
    }
    return this.buf;
  }

  /** The bytes written from `offset` to `end`, as the caller's own view; the next view starts after them. */
  take(end: number): Buffer {
    const view = this.buf.subarray(this.start, end);
    // 8-byte aligned, as Node's pool does.
    this.start = (end + 7) & ~7;
    return view;
  }
}
