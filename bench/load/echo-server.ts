// The echo baseline: a server with boxfep's framing (2-byte length, TPDU, header) that does nothing but
// answer each frame with itself — TPDU swapped and MTI turned into its reply MTI (0200 → 0210) so the
// box matches it — without decoding, MAC or store. What it costs is the floor Node and this machine
// set for the same connections and rate; boxfep's figures are given as ratios against it.
import { createServer, type Server, type Socket } from 'node:net';
import { BOX_LAYOUT, FrameSplitter, HEADER_BYTES, prefixBytes, TPDU_BYTES } from '../../src/iso8583/index.js';

export interface EchoServer {
  readonly port: number;
  readonly connections: number;
  close(): Promise<void>;
}

export interface EchoServerOptions {
  host?: string;
  port?: number;
  /** Test hook: called per frame; a returned promise delays that connection's reply (a stall). */
  delay?: () => Promise<void> | undefined;
}

const PREFIX = prefixBytes(BOX_LAYOUT.length);
const MTI_AT = PREFIX + TPDU_BYTES + HEADER_BYTES;

/** The reply frame for a request frame (payload = the bytes after the length prefix), in place. */
export function echoReply(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(PREFIX + payload.length);
  out.writeUInt16BE(payload.length, 0);
  payload.copy(out, PREFIX);
  // TPDU 60 DDDD SSSS → 60 SSSS DDDD.
  out.copy(out, PREFIX + 1, PREFIX + 3, PREFIX + 5);
  payload.copy(out, PREFIX + 3, 1, 3);
  // MTI is two BCD bytes: the third digit (high nibble of byte 2) goes up by one: 0800 → 0810.
  if (out.length > MTI_AT + 1) out[MTI_AT + 1] += 0x10;
  return out;
}

export function startEchoServer(opts: EchoServerOptions = {}): Promise<EchoServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const splitter = new FrameSplitter({ ...BOX_LAYOUT, maxFrameBytes: 65535 });
    // Replies held by a stall stay in order: later frames queue behind them.
    let chain: Promise<void> = Promise.resolve();
    let queued = 0;
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = splitter.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      if (frames.length === 0) return;
      const replies = frames.map(echoReply);
      const reply = replies.length === 1 ? replies[0] : Buffer.concat(replies);
      const wait = opts.delay?.();
      if (wait === undefined && queued === 0) {
        socket.write(reply);
        return;
      }
      queued++;
      chain = chain
        .then(() => wait)
        .then(() => {
          queued--;
          if (!socket.destroyed) socket.write(reply);
        });
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', 511, () => {
      server.off('error', reject);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({
        port,
        get connections() {
          return sockets.size;
        },
        close: () =>
          new Promise<void>((res) => {
            for (const s of sockets) s.destroy();
            server.close(() => res());
          }),
      });
    });
  });
}
