// The box-facing TCP server: one or more listeners (each with its own frame layout), connection caps,
// idle detection on a timer wheel, write coalescing across all connections, global backpressure and
// graceful drain. What a frame means is the FrameHandler's business (the request pipeline).
import { createServer, type Server, type Socket } from 'node:net';
import { BOX_LAYOUT, type FrameLayout } from '../iso8583/framing.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import * as m from '../metrics/server.js';
import {
  BoxConnection,
  type CloseReason,
  type ConnectionOwner,
  type ListenerContext,
  PAUSE_DRAIN,
  PAUSE_GLOBAL,
} from './connection.js';
import { ConnectionCaps } from './connection-caps.js';
import { IdleWheel } from './idle-wheel.js';
import { restoreFastStringPrototype } from './string-prototype.js';

export interface ListenerConfig {
  /** Used in metrics and logs; defaults to `box:<port>`. */
  name?: string;
  port: number;
  host?: string;
  layout?: Partial<FrameLayout>;
  /**
   * In a cluster worker, listen on a port of this process's own instead of one the primary shares
   * among the workers (the warm-up's scratch listener on port 0).
   */
  exclusive?: boolean;
}

export interface FrameHandler {
  handleFrame(conn: BoxConnection, payload: Buffer): Promise<void>;
  connectionClosed?(conn: BoxConnection, reason: CloseReason): void;
}

export interface BoxServerOptions {
  listeners: ListenerConfig[];
  handler: FrameHandler;
  /** Boxes send echo 0820/301 as heartbeat; silence longer than this closes the connection. */
  idleTimeoutMs?: number;
  /** Granularity of idle detection (the wheel's tick). */
  idleResolutionMs?: number;
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  /** Requests processed at once per connection; later ones wait in order. */
  maxInFlightPerConnection?: number;
  /** Waiting requests per connection before its socket stops being read. */
  maxQueuedPerConnection?: number;
  /** True while a downstream (crypto queue, store) is saturated. */
  pressure?: () => boolean;
  logger?: Logger;
}

export const SERVER_DEFAULTS = {
  idleTimeoutMs: 300_000,
  idleResolutionMs: 1_000,
  maxConnections: 15_000,
  maxConnectionsPerAddress: 15_000,
  maxInFlightPerConnection: 4,
  maxQueuedPerConnection: 16,
} as const;

interface BoundListener {
  server: Server;
  ctx: ListenerContext;
  port: number;
}

export class BoxServer implements ConnectionOwner {
  readonly connections = new Set<BoxConnection>();
  private readonly listeners: BoundListener[] = [];
  private readonly caps: ConnectionCaps;
  private readonly wheel: IdleWheel<BoxConnection>;
  private readonly log: Logger;
  private readonly opts: BoxServerOptions;
  private dirty: BoxConnection[] = [];
  private flushScheduled = false;
  private readonly parked = new Set<BoxConnection>();
  private pressureTimer: NodeJS.Timeout | null = null;
  private drainingFlag = false;
  private allClosed: (() => void) | null = null;

  constructor(opts: BoxServerOptions) {
    this.opts = opts;
    this.log = opts.logger ?? silentLogger;
    this.caps = new ConnectionCaps(
      opts.maxConnections ?? SERVER_DEFAULTS.maxConnections,
      opts.maxConnectionsPerAddress ?? SERVER_DEFAULTS.maxConnectionsPerAddress,
    );
    this.wheel = new IdleWheel<BoxConnection>(
      opts.idleTimeoutMs ?? SERVER_DEFAULTS.idleTimeoutMs,
      opts.idleResolutionMs ?? Math.min(SERVER_DEFAULTS.idleResolutionMs, opts.idleTimeoutMs ?? Infinity),
      (conn) => {
        this.log.info({ conn: conn.id, tid: conn.tid, remote: conn.remoteAddress }, 'closing idle connection');
        conn.close('idle');
      },
    );
  }

  get draining(): boolean {
    return this.drainingFlag;
  }

  /** Ports actually bound, in listener order (useful with port 0). */
  get ports(): number[] {
    return this.listeners.map((l) => l.port);
  }

  get listening(): boolean {
    return this.listeners.length > 0 && this.listeners.every((l) => l.server.listening);
  }

  async start(): Promise<void> {
    // Every static import is loaded by now, ioredis included (see string-prototype.ts).
    restoreFastStringPrototype();
    for (const cfg of this.opts.listeners) {
      const layout: FrameLayout = { ...BOX_LAYOUT, ...cfg.layout };
      const ctx: ListenerContext = {
        name: cfg.name ?? `box:${cfg.port}`,
        layout,
        maxInFlight: this.opts.maxInFlightPerConnection ?? SERVER_DEFAULTS.maxInFlightPerConnection,
        maxQueued: this.opts.maxQueuedPerConnection ?? SERVER_DEFAULTS.maxQueuedPerConnection,
      };
      const server = createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 }, (socket) =>
        this.accept(socket, ctx),
      );
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        const options = { port: cfg.port, host: cfg.host ?? '0.0.0.0', backlog: 4096, exclusive: cfg.exclusive };
        server.listen(options, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => this.log.error({ err, listener: ctx.name }, 'listener error'));
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : cfg.port;
      if (cfg.name === undefined) ctx.name = `box:${port}`;
      this.listeners.push({ server, ctx, port });
      this.log.info({ listener: ctx.name, port, layout }, 'box listener up');
    }
    this.wheel.start();
  }

  private accept(socket: Socket, ctx: ListenerContext): void {
    const address = socket.remoteAddress ?? 'unknown';
    if (this.drainingFlag) {
      socket.destroy();
      return;
    }
    const refused = this.caps.acquire(address);
    if (refused) {
      m.connectionsClosed.inc({ reason: refused });
      this.log.warn({ remote: address, reason: refused }, 'connection refused by cap');
      socket.resetAndDestroy();
      return;
    }
    const conn = new BoxConnection(socket, ctx, this);
    this.connections.add(conn);
    this.wheel.add(conn);
    m.connectionsAccepted.inc();
    m.connectionsCurrent.inc();
  }

  // ConnectionOwner

  handleFrame(conn: BoxConnection, payload: Buffer): Promise<void> {
    return this.opts.handler.handleFrame(conn, payload);
  }

  touch(conn: BoxConnection): void {
    this.wheel.touch(conn);
  }

  scheduleFlush(conn: BoxConnection): void {
    this.dirty.push(conn);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flushAll());
  }

  private flushAll(): void {
    const dirty = this.dirty;
    this.dirty = [];
    this.flushScheduled = false;
    for (const conn of dirty) conn.flush();
  }

  pressure(conn: BoxConnection): boolean {
    const p = this.opts.pressure;
    if (p === undefined || !p()) return false;
    this.parked.add(conn);
    if (this.pressureTimer === null) {
      // Poll only while something is parked: resume as soon as the downstream has room again.
      this.pressureTimer = setInterval(() => this.checkPressure(), 5);
      this.pressureTimer.unref();
    }
    return true;
  }

  private checkPressure(): void {
    if (this.opts.pressure?.()) return;
    if (this.pressureTimer) clearInterval(this.pressureTimer);
    this.pressureTimer = null;
    for (const conn of this.parked) conn.resume(PAUSE_GLOBAL);
    this.parked.clear();
  }

  closed(conn: BoxConnection, reason: CloseReason): void {
    if (!this.connections.delete(conn)) return;
    this.wheel.remove(conn);
    this.parked.delete(conn);
    this.caps.release(conn.remoteAddress);
    m.connectionsCurrent.dec();
    m.connectionsClosed.inc({ reason });
    this.opts.handler.connectionClosed?.(conn, reason);
    if (this.allClosed && this.connections.size === 0) this.allClosed();
  }

  /**
   * Graceful stop: stop accepting, close idle connections, let in-flight requests be answered (their
   * sockets stop being read), and after `drainMs` close whatever is left.
   */
  async stop(drainMs = 10_000): Promise<void> {
    this.drainingFlag = true;
    this.wheel.stop();
    if (this.pressureTimer) clearInterval(this.pressureTimer);
    this.pressureTimer = null;
    const closing = this.listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve())));
    for (const conn of [...this.connections]) {
      if (conn.idle) conn.close('drain');
      else conn.pause(PAUSE_DRAIN);
    }
    if (this.connections.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, drainMs);
        this.allClosed = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.allClosed = null;
      for (const conn of [...this.connections]) {
        this.log.warn({ conn: conn.id, tid: conn.tid }, 'drain time over: closing busy connection');
        conn.close('shutdown');
      }
    }
    await Promise.all(closing);
  }
}
