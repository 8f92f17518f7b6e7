// The HTTP server shared by the WeChat-style and Alipay-style sandboxes: a real node:http server on
// loopback that counts TCP connections, applies simulated latency and faults, can leave a request
// unanswered (test codes 98–99), and serves the ledger at GET /__admin/ledger.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { drawRequestFault, type Faults, NO_FAULTS, type RequestFault } from './faults.js';
import type { Ledger } from './ledger.js';
import { type Latency, latencySampler, seededRandom } from './random.js';

export const ADMIN_LEDGER_PATH = '/__admin/ledger';

/** What a wallet handler answers; `null` = never answer (the caller times out). */
export type Reply = { status: number; contentType: string; body: string } | null;

export interface HttpSandboxOptions {
  port?: number;
  host?: string;
  latency?: Latency;
  faults?: Partial<Faults>;
  /** Seed of the sandbox's randomness (latency, faults). */
  seed?: number;
}

export interface HttpHandler {
  handle(path: string, body: string, fault: RequestFault): Reply | Promise<Reply>;
}

export class HttpSandboxServer {
  readonly faults: Faults;
  readonly random: () => number;
  /** TCP connections accepted since start. */
  connectionsAccepted = 0;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly delay: () => number;

  constructor(
    private readonly handler: HttpHandler,
    private readonly ledger: Ledger,
    private readonly options: HttpSandboxOptions,
  ) {
    this.faults = { ...NO_FAULTS, ...options.faults };
    this.random = seededRandom(options.seed ?? 1);
    this.delay = latencySampler(options.latency ?? { kind: 'none' }, this.random);
    this.server = createServer((req, res) => void this.onRequest(req, res));
    this.server.keepAliveTimeout = 60_000;
    this.server.on('connection', (socket: Socket) => {
      this.connectionsAccepted++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  async start(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      // Exclusive: a sandbox is one ledger, even when started in a cluster worker (a port the primary
      // shared among workers would spread one caller's calls over several ledgers).
      const { port = 0, host = '127.0.0.1' } = this.options;
      this.server.listen({ port, host, exclusive: true }, () => resolve());
    });
    return this.server.address() as AddressInfo;
  }

  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address}:${port}`;
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  // Callbacks rather than async/await: a request answered at once takes no promise or microtask hop
  // (the handler may still return a promise: the Alipay-style sandbox signs asynchronously).
  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      this.onBody(req, res, body);
    });
    // A request that breaks off has nobody to answer; its socket is gone.
    req.on('error', () => req.socket.destroy());
  }

  private onBody(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    if (req.method === 'GET' && path === ADMIN_LEDGER_PATH) {
      send(res, { status: 200, contentType: 'application/json', body: JSON.stringify(this.ledger.snapshot()) });
      return;
    }
    const fault = drawRequestFault(this.faults, this.random);
    let wait = this.delay();
    if (this.faults.slowRate > 0 && this.random() < this.faults.slowRate) wait += this.faults.slowMs;
    if (wait > 0) setTimeout(() => this.answer(req, res, path, body, fault), wait);
    else this.answer(req, res, path, body, fault);
  }

  private answer(req: IncomingMessage, res: ServerResponse, path: string, body: string, fault: RequestFault): void {
    if (fault === 'drop') {
      req.socket.destroy();
      return;
    }
    const reply = this.handler.handle(path, body, fault);
    if (reply instanceof Promise) reply.then((r) => sendIfAny(res, r));
    else sendIfAny(res, reply);
  }
}

/** Sends `reply`; null leaves the request unanswered on purpose (stop() destroys the socket). */
function sendIfAny(res: ServerResponse, reply: Reply): void {
  if (reply) send(res, reply);
}

function send(res: ServerResponse, reply: NonNullable<Reply>): void {
  res.writeHead(reply.status, { 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.body) });
  res.end(reply.body);
}
