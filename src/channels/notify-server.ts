// boxfep's notify port: a small node:http server that routes /notify/<wallet> to that wallet's
// NotifyHandler, answers with the wallet's exact acknowledgement, and emits one 'event' per order
// state — duplicates are acknowledged but not re-emitted, and a stale "pending" arriving after a
// final state is dropped.
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Logger, silentLogger } from '../log/logger.js';
import { channelNotifications } from '../metrics/channels.js';
import type { ChannelEvent, NotifyHandler } from './channel.js';

export interface NotifyServerOptions {
  handlers: NotifyHandler[];
  port?: number;
  host?: string;
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
  private readonly byPath = new Map<string, NotifyHandler>();
  private readonly seen = new Map<string, Set<string>>();
  private readonly sockets = new Set<Socket>();
  private readonly logger: Logger;

  constructor(private readonly options: NotifyServerOptions) {
    super();
    for (const h of options.handlers) this.byPath.set(h.path, h);
    this.logger = (options.logger ?? silentLogger).child({ component: 'notify' });
    this.server = createServer((req, res) => void this.onRequest(req, res));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async start(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
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
    let states = this.seen.get(key);
    if (!states) {
      states = new Set();
      this.seen.set(key, states);
      if (this.seen.size > (this.options.memory ?? 100_000)) this.seen.delete(this.seen.keys().next().value!);
    }
    if (states.has(e.state)) return false;
    if (e.state === 'pending' && states.size > 0) return false;
    states.add(e.state);
    return true;
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const handler = this.byPath.get((req.url ?? '').split('?')[0] ?? '');
    if (!handler || req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const limit = this.options.maxBodyBytes ?? 64 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const result = handler.parse(Buffer.concat(chunks), req.headers);
    const wallet = handler.wallet;
    if (!result.ok) {
      channelNotifications.inc({ wallet, result: 'rejected' });
      this.logger.warn({ wallet, error: result.error.code }, 'notification rejected');
      reply(res, handler.nack);
      return;
    }
    const event = result.event;
    const fresh = this.firstSight(event);
    if (fresh && this.options.onEvent) {
      try {
        await this.options.onEvent(event);
      } catch (err) {
        this.forget(event);
        channelNotifications.inc({ wallet, result: 'failed' });
        this.logger.error({ wallet, err: (err as Error).message }, 'notification not persisted');
        reply(res, handler.nack);
        return;
      }
    }
    channelNotifications.inc({ wallet, result: fresh ? 'accepted' : 'duplicate' });
    reply(res, handler.ack);
    if (fresh) this.emit('event', event);
  }

  private forget(e: ChannelEvent): void {
    this.seen.get(orderKey(e))?.delete(e.state);
  }
}

const orderKey = (e: ChannelEvent) => `${e.wallet}\u0000${e.merchantId}\u0000${e.outTradeNo}`;

function reply(res: ServerResponse, r: NotifyHandler['ack']): void {
  res.writeHead(200, { 'content-type': r.contentType, 'content-length': Buffer.byteLength(r.body) });
  res.end(r.body);
}
