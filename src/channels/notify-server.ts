// boxfep's notify port: a small node:http server that routes /notify/<wallet> to that wallet's
// NotifyHandler, answers with the wallet's exact acknowledgement, and emits one 'event' per order
// state — duplicates are acknowledged but not re-emitted, and a stale "pending" arriving after a
// final state is dropped.
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Logger, silentLogger } from '../log/logger.js';
import { channelNotificationCells } from '../metrics/channels.js';
import type { ChannelEvent, NotifyHandler, OrderState } from './channel.js';

export interface NotifyServerOptions {
  handlers: NotifyHandler[];
  port?: number;
  host?: string;
  /** In a cluster worker, a port of this process's own rather than one shared by the workers. */
  exclusive?: boolean;
  /** Orders remembered for de-duplication (oldest forgotten first). */
  memory?: number;
  /** Largest accepted body, bytes. */
  maxBodyBytes?: number;
  logger?: Logger;
  /**
   * Persists an event before it is acknowledged; if it throws, the wallet gets a negative reply and
   * retries, so a notification is never acknowledged and lost.
   */
  onEvent?: (event: ChannelEvent) => Promise<void>;
}

export interface NotifyServerEvents {
  event: [ChannelEvent];
}

export class NotifyServer extends EventEmitter<NotifyServerEvents> {
  private readonly server: Server;
  private readonly byPath = new Map<string, Route>();
  /** Per order (wallet, merchant, order number): the states it reported, as STATE_BITS. */
  private readonly seen = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private readonly logger: Logger;

  constructor(private readonly options: NotifyServerOptions) {
    super();
    for (const h of options.handlers)
      this.byPath.set(h.path, { handler: h, ack: replyOf(h.ack), nack: replyOf(h.nack) });
    this.logger = (options.logger ?? silentLogger).child({ component: 'notify' });
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async start(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      const { port = 0, host = '127.0.0.1', exclusive } = this.options;
      this.server.listen({ port, host, exclusive }, () => resolve());
    });
    return this.server.address() as AddressInfo;
  }

  /** Base URL, e.g. http://127.0.0.1:8090 — handlers live under it at their paths. */
  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address}:${port}`;
  }

  urlFor(wallet: NotifyHandler['wallet']): string {
    const h = this.options.handlers.find((x) => x.wallet === wallet);
    if (!h) throw new Error(`no notify handler for ${wallet}`);
    return this.url + h.path;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  /** Records the event; false when this order already reported this state or a final one. */
  private firstSight(e: ChannelEvent): boolean {
    const key = orderKey(e);
    const bit = STATE_BITS[e.state];
    const states = this.seen.get(key);
    if (states === undefined) {
      this.seen.set(key, bit);
      if (this.seen.size > (this.options.memory ?? 100_000)) this.seen.delete(this.seen.keys().next().value!);
      return true;
    }
    if ((states & bit) !== 0) return false;
    if (e.state === 'pending' && states !== 0) return false;
    // Set on a key it holds: the order keeps its place for the oldest-first forgetting.
    this.seen.set(key, states | bit);
    return true;
  }

  /**
   * The body is gathered by callbacks, not `for await`: an async iterator, its promises and an
   * end-of-stream watcher per notification cost ~3 KB, and a wallet that hung up mid-body made the
   * iterator reject where nothing caught it (an unhandled rejection, which ended the process).
   */
  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const route = this.byPath.get(query < 0 ? url : url.slice(0, query));
    if (!route || req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const limit = this.options.maxBodyBytes ?? 64 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > limit) return;
      size += chunk.length;
      if (size > limit) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limit) return;
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      this.onBody(route, body, req, res).catch((err: unknown) => {
        this.logger.error({ wallet: route.handler.wallet, err: (err as Error).message }, 'notification failed');
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
    // A wallet that hangs up mid-body: no 'end', nothing answered, it posts again. (IncomingMessage
    // emits no 'error' without a listener.)
  }

  private async onBody(route: Route, body: Buffer, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const handler = route.handler;
    const result = handler.parse(body, req.headers);
    const wallet = handler.wallet;
    if (!result.ok) {
      channelNotificationCells.of2(wallet, 'rejected').inc();
      this.logger.warn({ wallet, error: result.error.code }, 'notification rejected');
      reply(res, route.nack);
      return;
    }
    const event = result.event;
    const fresh = this.firstSight(event);
    if (fresh && this.options.onEvent) {
      try {
        await this.options.onEvent(event);
      } catch (err) {
        this.forget(event);
        channelNotificationCells.of2(wallet, 'failed').inc();
        this.logger.error({ wallet, err: (err as Error).message }, 'notification not persisted');
        reply(res, route.nack);
        return;
      }
    }
    channelNotificationCells.of2(wallet, fresh ? 'accepted' : 'duplicate').inc();
    reply(res, route.ack);
    if (fresh) this.emit('event', event);
  }

  private forget(e: ChannelEvent): void {
    const key = orderKey(e);
    const states = this.seen.get(key);
    if (states !== undefined) this.seen.set(key, states & ~STATE_BITS[e.state]);
  }
}

/** One bit per state in `seen`: a number per order instead of a Set (100,000 orders are kept). */
const STATE_BITS: Readonly<Record<OrderState, number>> = { pending: 1, paid: 2, closed: 4, refunded: 8 };

/** A handler with its two replies' status line headers, made once (the bytes are the same as before). */
interface Route {
  handler: NotifyHandler;
  ack: Reply;
  nack: Reply;
}

interface Reply {
  body: string;
  headers: Readonly<Record<string, string | number>>;
}

function replyOf(r: NotifyHandler['ack']): Reply {
  return { body: r.body, headers: { 'content-type': r.contentType, 'content-length': Buffer.byteLength(r.body) } };
}

/**
 * The `seen` key: one flat string, built by `join`. The event's strings are pieces of the notification's
 * body (the XML reader's values are substrings of it), and a template literal made a rope over them:
 * each of the 100,000 keys `seen` remembers kept its whole notification body.
 */
const orderKey = (e: ChannelEvent) => [e.wallet, e.merchantId, e.outTradeNo].join('\u0000');

function reply(res: ServerResponse, r: Reply): void {
  res.writeHead(200, r.headers);
  res.end(r.body);
}
