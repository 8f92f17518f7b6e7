// One persistent TCP link to the UnionPay acquiring host: frames out, frames in, a ready flag,
// echo heartbeats (one outstanding at a time; after `maxMissedHeartbeats` unanswered in a row the
// link is declared dead and reconnected), and reconnection with capped exponential backoff + jitter.
// Matching replies to requests is the connector's job: the link hands every decoded reply up.
import { connect, type Socket } from 'node:net';
import {
  BOX_LAYOUT,
  codecFor,
  FrameSplitter,
  type IsoMessage,
  messageOffset,
  replyHeadBytes,
  writeFrameHead,
} from '../../iso8583/index.js';
import { channelHeartbeats, channelReconnects } from '../../metrics/channels.js';

export interface LinkOptions {
  host: string;
  port: number;
  /** Interval between echo heartbeats on an idle link, ms. */
  heartbeatMs: number;
  /** Consecutive missed echoes before the link is dropped and reconnected. */
  maxMissedHeartbeats: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  connectTimeoutMs: number;
  tpdu: Buffer;
  header: Buffer;
}

export interface LinkEvents {
  onMessage(link: Link, message: IsoMessage): void;
  /** The link went down: every request sent on it is lost. */
  onDown(link: Link): void;
  /** An echo for this link; the connector sends it through its own matching. */
  sendEcho(link: Link): Promise<boolean>;
  onBadFrame(link: Link, err: Error): void;
}

const codec = codecFor('cups-pos');
/** The length prefix, TPDU and header in front of each message. */
const FRAME_HEAD = replyHeadBytes(BOX_LAYOUT);

const flushLink = (link: Link) => link.flush();

export class Link {
  ready = false;
  /** Requests written on this link and not yet answered. */
  inFlight = 0;
  private socket: Socket | undefined;
  /** Frames written since the last flush (see write()). */
  private outgoing: Buffer[] = [];
  private splitter = new FrameSplitter(BOX_LAYOUT);
  private closed = false;
  private backoff: number;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private lastActivity = 0;
  private echoOutstanding = false;
  missedHeartbeats = 0;
  connects = 0;

  constructor(
    readonly id: number,
    private readonly options: LinkOptions,
    private readonly events: LinkEvents,
  ) {
    this.backoff = options.reconnectInitialMs;
  }

  open(): void {
    if (this.closed) return;
    const socket = connect({ host: this.options.host, port: this.options.port, noDelay: true });
    this.socket = socket;
    const connectTimer = setTimeout(() => socket.destroy(new Error('connect timeout')), this.options.connectTimeoutMs);
    socket.once('connect', () => {
      clearTimeout(connectTimer);
      this.ready = true;
      this.connects++;
      this.backoff = this.options.reconnectInitialMs;
      this.missedHeartbeats = 0;
      this.splitter = new FrameSplitter(BOX_LAYOUT);
      this.touch();
      this.scheduleHeartbeat();
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => {
      // 'close' follows; the reconnect is scheduled there.
    });
    socket.on('close', () => {
      clearTimeout(connectTimer);
      this.down();
    });
  }

  /**
   * Queues one message for this loop iteration's write; false when the link is not ready (nothing
   * will be sent). Requests made while the loop handles one batch of I/O (a crypto-pool batch, many
   * boxes' frames) leave in one `writev(2)` instead of a `write(2)` each (10–40 µs apiece here).
   */
  write(message: IsoMessage): boolean {
    if (!this.ready || !this.socket) return false;
    // The connector builds host messages with field-number keys only, so they are read by number;
    // encoded after room for the frame's head, then the head written in front: one buffer, no copy.
    const frame = writeFrameHead(
      codec.encodeNumberedAt(FRAME_HEAD, message),
      BOX_LAYOUT,
      this.options.tpdu,
      this.options.header,
    );
    // Only received bytes count as activity: a host that takes requests but never answers gets echoed.
    this.outgoing.push(frame);
    if (this.outgoing.length === 1) setImmediate(flushLink, this);
    return true;
  }

  /** Sends the queued frames: one write, or one corked writev for several. */
  flush(): void {
    const frames = this.outgoing;
    const socket = this.socket;
    if (frames.length === 0) return;
    this.outgoing = [];
    // A link that went down meanwhile already failed these requests (onDown).
    if (!socket || !this.ready) return;
    if (frames.length === 1) {
      socket.write(frames[0]!);
      return;
    }
    socket.cork();
    for (const frame of frames) socket.write(frame);
    socket.uncork();
  }

  /** Drops the connection now (it reconnects unless closed). */
  drop(): void {
    this.socket?.destroy();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.heartbeatTimer);
    this.socket?.destroy();
  }

  private onData(chunk: Buffer): void {
    this.touch();
    let payloads: Buffer[];
    try {
      payloads = this.splitter.push(chunk);
    } catch (err) {
      // A broken length prefix cannot be resynchronised: drop the link.
      this.events.onBadFrame(this, err as Error);
      this.socket?.destroy();
      return;
    }
    for (const payload of payloads) {
      try {
        this.events.onMessage(this, codec.decode(payload.subarray(messageOffset(payload, BOX_LAYOUT))));
      } catch (err) {
        this.events.onBadFrame(this, err as Error);
      }
    }
  }

  private down(): void {
    const wasReady = this.ready;
    this.ready = false;
    this.socket = undefined;
    this.outgoing = [];
    this.echoOutstanding = false;
    clearTimeout(this.heartbeatTimer);
    if (wasReady) this.events.onDown(this);
    if (this.closed) return;
    channelReconnects.inc({ wallet: 'UP' });
    const delay = this.backoff * (0.5 + Math.random() / 2);
    this.backoff = Math.min(this.backoff * 2, this.options.reconnectMaxMs);
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  private touch(): void {
    this.lastActivity = Date.now();
  }

  private scheduleHeartbeat(): void {
    clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = setTimeout(() => void this.heartbeat(), this.options.heartbeatMs);
  }

  private async heartbeat(): Promise<void> {
    if (!this.ready || this.closed) return;
    const idleFor = Date.now() - this.lastActivity;
    if (idleFor < this.options.heartbeatMs || this.echoOutstanding) {
      this.heartbeatTimer = setTimeout(() => void this.heartbeat(), Math.max(10, this.options.heartbeatMs - idleFor));
      return;
    }
    this.echoOutstanding = true;
    const answered = await this.events.sendEcho(this);
    this.echoOutstanding = false;
    channelHeartbeats.inc({ wallet: 'UP', result: answered ? 'ok' : 'missed' });
    if (answered) this.missedHeartbeats = 0;
    else if (++this.missedHeartbeats >= this.options.maxMissedHeartbeats) {
      this.socket?.destroy();
      return;
    }
    if (this.ready) this.scheduleHeartbeat();
  }
}
