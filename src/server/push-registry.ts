// Live box connections by terminal ID, so boxfep can send FEP-initiated messages (the 0620 payment
// result push) to a box. A terminal identified on a new connection replaces its old one (a box that
// reconnects usually left a dead half-open socket behind). A push is matched to the box's 0630 by
// TID + STAN (field 11).
import { ChurnMap } from '../heap/churn-map.js';
import type { IsoMessage } from '../iso8583/index.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import * as m from '../metrics/server.js';
import type { BoxConnection } from './connection.js';

/** Sends an FEP-initiated message to a connection (MACs it with the terminal's keys). */
export type PushSender = (conn: BoxConnection, message: IsoMessage) => Promise<void>;

/**
 * A push waiting for its 0630 under `key` in `waiting`, until it comes or `timeoutMs` pass. It holds
 * the reply's resolver, not the reply's promise, and lets go of it when settled: tables the Map left
 * behind still point to a waiter that was in one (src/heap/churn-map.ts says why), and through either
 * it would keep the 0630.
 */
class Waiter {
  private settle: ((reply: IsoMessage | undefined) => void) | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly waiting: ChurnMap<string, Waiter>,
    private readonly key: string,
    timeoutMs: number,
    settle: (reply: IsoMessage | undefined) => void,
  ) {
    this.settle = settle;
    this.timer = setTimeout(expire, timeoutMs, this);
    this.timer.unref();
  }

  resolve(reply: IsoMessage | undefined): void {
    clearTimeout(this.timer);
    this.waiting.delete(this.key);
    this.release(reply);
  }

  expired(): void {
    this.waiting.delete(this.key);
    m.pushCells.of('timeout').inc();
    this.release(undefined);
  }

  private release(reply: IsoMessage | undefined): void {
    const settle = this.settle;
    this.settle = undefined;
    settle?.(reply);
  }
}

function expire(w: Waiter): void {
  w.expired();
}

export const DEFAULT_PUSH_TIMEOUT_MS = 5_000;

export class PushRegistry {
  private readonly byTid = new Map<string, BoxConnection>();
  private readonly waiting = new ChurnMap<string, Waiter>();
  private sender: PushSender | undefined;
  private readonly bindListeners: Array<(tid: string, mid: string | undefined) => void> = [];

  constructor(private readonly log: Logger = silentLogger) {}

  /** Set by the pipeline, which knows how to encode and MAC for a terminal. */
  attachSender(sender: PushSender): void {
    this.sender = sender;
  }

  /**
   * `listener(tid, mid)` runs whenever a terminal is identified on a new connection (it may have pushes
   * waiting); `mid` is its merchant's, when the binder knew it.
   */
  onBind(listener: (tid: string, mid: string | undefined) => void): void {
    this.bindListeners.push(listener);
  }

  get size(): number {
    return this.byTid.size;
  }

  get(tid: string): BoxConnection | undefined {
    return this.byTid.get(tid);
  }

  /**
   * Records that `tid` (of merchant `mid`, when known) speaks on `conn`; an older live connection of the
   * same terminal is closed.
   */
  bind(tid: string, conn: BoxConnection, mid?: string): void {
    const old = this.byTid.get(tid);
    if (old === conn) return;
    if (conn.tid !== undefined && conn.tid !== tid && this.byTid.get(conn.tid) === conn) this.byTid.delete(conn.tid);
    conn.tid = tid;
    this.byTid.set(tid, conn);
    if (old && !old.closed) {
      this.log.info({ tid, old: old.id, conn: conn.id }, 'terminal reconnected: closing its previous connection');
      old.close('replaced');
    }
    for (const listener of this.bindListeners) listener(tid, mid);
  }

  /** Called when a connection closes. */
  unbind(conn: BoxConnection): void {
    if (conn.tid !== undefined && this.byTid.get(conn.tid) === conn) this.byTid.delete(conn.tid);
  }

  /**
   * Sends `message` (an 0620: fields 3, 4, 11, 37, 39, 41, 42, 59, 60 set by the caller; the MAC is
   * added) and resolves with the box's 0630, or undefined when the box is not connected or does not
   * answer within `timeoutMs`. Resending is the caller's policy.
   * Not an async function, and the waiter an object with methods: one frame and three closures per
   * push fewer.
   */
  push(tid: string, message: IsoMessage, timeoutMs = DEFAULT_PUSH_TIMEOUT_MS): Promise<IsoMessage | undefined> {
    const conn = this.byTid.get(tid);
    if (conn === undefined || conn.closed) {
      m.pushCells.of('offline').inc();
      return Promise.resolve(undefined);
    }
    const sender = this.sender;
    if (sender === undefined) return Promise.reject(new Error('push registry has no sender attached'));
    const key = `${tid}:${message.fields[11] ?? ''}`;
    this.waiting.get(key)?.resolve(undefined);
    const reply = new Promise<IsoMessage | undefined>((settle) => {
      this.waiting.set(key, new Waiter(this.waiting, key, timeoutMs, settle));
    });
    let sent: Promise<void>;
    try {
      sent = sender(conn, message);
    } catch (err) {
      sent = Promise.reject(err);
    }
    return sent.then(
      () => reply,
      (err: unknown) => {
        this.waiting.get(key)?.resolve(undefined);
        m.pushCells.of('error').inc();
        throw err;
      },
    );
  }

  /** The pipeline hands over a verified 0630; true if a push was waiting for it. */
  settle(tid: string, reply: IsoMessage): boolean {
    const w = this.waiting.get(`${tid}:${reply.fields[11] ?? ''}`);
    if (w === undefined) return false;
    m.pushCells.of('acked').inc();
    w.resolve(reply);
    return true;
  }

  /** Resolves every waiting push with undefined (shutdown). */
  clear(): void {
    for (const w of this.waiting.values()) w.resolve(undefined);
  }
}
