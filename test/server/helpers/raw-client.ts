// A bare TCP client for server tests: sends raw bytes or framed payloads and collects the frames it
// gets back, with bounded waits so a broken server fails the test instead of hanging it.
import { connect, type Socket } from 'node:net';
import { BOX_LAYOUT, type FrameLayout, FrameSplitter } from '../../../src/iso8583/framing.js';

export class RawClient {
  readonly frames: Buffer[] = [];
  closed = false;
  private waiters: Array<() => void> = [];
  private readonly splitter: FrameSplitter;

  private constructor(
    readonly socket: Socket,
    readonly layout: FrameLayout,
  ) {
    this.splitter = new FrameSplitter({ ...layout, maxFrameBytes: 65535 });
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.splitter.push(chunk)) this.frames.push(f);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, layout: FrameLayout = BOX_LAYOUT): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1' }, () => resolve(new RawClient(s, layout)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves when `pred` holds, or rejects after `ms`. */
  async until(pred: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async nextFrame(ms = 3000): Promise<Buffer> {
    await this.until(() => this.frames.length > 0 || this.closed, ms, 'a frame');
    const f = this.frames.shift();
    if (f === undefined) throw new Error('connection closed before a frame arrived');
    return f;
  }

  waitClosed(ms = 3000): Promise<void> {
    return this.until(() => this.closed, ms, 'the server to close the connection');
  }

  close(): void {
    this.socket.destroy();
  }
}
