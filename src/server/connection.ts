// One box's TCP connection: framing, an ordered queue of waiting requests with a bounded number in
// flight, coalesced writes and the reasons reading is paused. Kept small on purpose: with 10,000
// mostly idle boxes every field costs 10,000 times, so buffers are allocated only while used.
import type { Socket } from 'node:net';
import { FrameError, type FrameLayout, FrameSplitter } from '../iso8583/framing.js';
import * as m from '../metrics/server.js';
import type { IdleEntry } from './idle-wheel.js';

/** Why reading is paused; a socket reads again only when no reason is left. */
export const PAUSE_WRITE = 1;
export const PAUSE_QUEUE = 2;
export const PAUSE_GLOBAL = 4;
export const PAUSE_DRAIN = 8;

export type CloseReason =
  | 'peer'
  | 'error'
  | 'idle'
  | 'too-long'
  | 'bad-length'
  | 'undecodable'
  | 'replaced'
  | 'drain'
  | 'shutdown';

/** A listener's settings as its connections see them (one object shared by all of them). */
export interface ListenerContext {
  name: string;
  layout: FrameLayout;
  maxInFlight: number;
  maxQueued: number;
}

/** What a connection needs from the server that owns it. */
export interface ConnectionOwner {
  handleFrame(conn: BoxConnection, payload: Buffer): Promise<void>;
  touch(conn: BoxConnection): void;
  scheduleFlush(conn: BoxConnection): void;
  /** True while the crypto queue or the store is saturated: the caller parks itself. */
  pressure(conn: BoxConnection): boolean;
  closed(conn: BoxConnection, reason: CloseReason): void;
  readonly draining: boolean;
}

let nextId = 1;

export class BoxConnection implements IdleEntry {
  readonly id = nextId++;
  readonly remoteAddress: string;
  idleTick = 0;
  idleSlot = -1;
  /** The terminal last identified on this connection (set by the pipeline). */
  tid: string | undefined;
  /** TPDU and header of the last request, for FEP-initiated messages (0620). */
  lastTpdu: Buffer | undefined;
  lastHeader: Buffer | undefined;
  /** DUKPT boxes: the KSN of the last verified request, for MACing a push. */
  lastKsn: string | undefined;
  closeReason: CloseReason | undefined;

  private readonly splitter: FrameSplitter;
  private queue: Buffer[] | null = null;
  private out: Buffer[] | null = null;
  private inFlight = 0;
  private pauseMask = 0;

  constructor(
    readonly socket: Socket,
    readonly listener: ListenerContext,
    private readonly owner: ConnectionOwner,
  ) {
    this.remoteAddress = socket.remoteAddress ?? 'unknown';
    this.splitter = new FrameSplitter(listener.layout);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close('error'));
    socket.on('end', () => this.close('peer'));
    socket.on('close', () => this.close('peer'));
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  /** Nothing in flight, nothing queued, nothing waiting to be written. */
  get idle(): boolean {
    return this.inFlight === 0 && (this.queue === null || this.queue.length === 0) && this.out === null;
  }

  get paused(): number {
    return this.pauseMask;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    m.bytesInCell.inc(chunk.length);
    this.owner.touch(this);
    let frames: Buffer[];
    try {
      frames = this.splitter.push(chunk);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      for (const f of err.complete) this.enqueue(f);
      m.decodeErrors.inc({ kind: err.reason });
      this.close(err.reason === 'too-long' ? 'too-long' : 'bad-length');
      return;
    }
    for (const f of frames) this.enqueue(f);
    if (this.owner.pressure(this)) this.pause(PAUSE_GLOBAL);
  }

  private enqueue(payload: Buffer): void {
    m.framesInCells.of(this.listener.name).inc();
    if (this.inFlight < this.listener.maxInFlight && (this.queue === null || this.queue.length === 0)) {
      this.start(payload);
      return;
    }
    this.queue ??= [];
    this.queue.push(payload);
    if (this.queue.length >= this.listener.maxQueued) this.pause(PAUSE_QUEUE);
  }

  private start(payload: Buffer): void {
    this.inFlight++;
    m.countInFlight(1);
    this.owner.handleFrame(this, payload).then(this.finished, this.finished);
  }

  /** Bound once per connection: no closure per request. */
  private readonly finished = (): void => {
    this.inFlight--;
    m.countInFlight(-1);
    const q = this.queue;
    while (q !== null && q.length > 0 && this.inFlight < this.listener.maxInFlight && !this.closed) {
      this.start(q.shift()!);
    }
    if (q !== null && q.length === 0) this.queue = null;
    if (this.queue === null || this.queue.length < this.listener.maxQueued) this.resume(PAUSE_QUEUE);
    if (this.owner.draining && this.idle) this.close('drain');
  };

  /** Queues a complete frame; all frames queued in one event-loop turn go out in one write. */
  send(frame: Buffer): void {
    if (this.closed) return;
    if (this.out === null) {
      this.out = [frame];
      this.owner.scheduleFlush(this);
    } else {
      this.out.push(frame);
    }
    m.framesOutCells.of(this.listener.name).inc();
  }

  flush(): void {
    const out = this.out;
    this.out = null;
    if (out === null || this.socket.destroyed) return;
    const ok = this.socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
    if (!ok && !(this.pauseMask & PAUSE_WRITE)) {
      this.pause(PAUSE_WRITE);
      this.socket.once('drain', () => this.resume(PAUSE_WRITE));
    }
    if (this.owner.draining && this.idle) this.close('drain');
  }

  pause(reason: number): void {
    if (this.pauseMask & reason) return;
    if (this.pauseMask === 0) this.socket.pause();
    this.pauseMask |= reason;
    m.backpressurePauses.inc({ cause: causeName(reason) });
  }

  resume(reason: number): void {
    if (!(this.pauseMask & reason)) return;
    this.pauseMask &= ~reason;
    if (this.pauseMask === 0 && !this.closed) this.socket.resume();
  }

  /**
   * Closes once, recording the first reason. Protocol violations and errors reset at once; polite
   * closes (idle, drain, replaced) let queued writes reach the box first.
   */
  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closeReason = reason;
    const s = this.socket;
    if (reason === 'peer' || reason === 'error' || reason === 'too-long' || reason === 'bad-length') {
      s.destroy();
    } else {
      this.flush();
      s.end(() => s.destroy());
      // A peer that never reads must not keep the descriptor: force it after a grace period.
      setTimeout(() => s.destroy(), 2000).unref();
    }
    this.queue = null;
    this.owner.closed(this, reason);
  }
}

function causeName(reason: number): string {
  switch (reason) {
    case PAUSE_WRITE:
      return 'write';
    case PAUSE_QUEUE:
      return 'queue';
    case PAUSE_GLOBAL:
      return 'global';
    default:
      return 'drain';
  }
}
