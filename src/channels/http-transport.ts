// A keep-alive connection pool to one wallet origin (undici Pool): persistent connections, a bounded
// number of them, requests cancelled by the guard's deadline.
//
// Requests go through undici's documented low-level `dispatch` with a small handler that collects the
// body, not `request()`: that one builds an AsyncResource, a Readable body stream and an AbortSignal
// listener per call (~10 % of the main thread in the WeChat-style profile) for a reply we read whole.
import { type Dispatcher, Pool } from 'undici';
import { trackConnections } from '../metrics/channels.js';
import type { WalletCode } from '../terminals/types.js';
import { type AttemptDeadline, NotSentError } from './guard.js';

export interface HttpPoolOptions {
  /** Most TCP connections to the wallet. */
  connections: number;
  /** How long an idle connection stays open, ms. */
  keepAliveTimeoutMs: number;
  /** Requests per connection in flight (HTTP/1.1 pipelining); 1 = none, the safe default. */
  pipelining: number;
}

/**
 * 64 connections: the guard's concurrency (connections × pipelining) must cover the rate times the
 * wallet's latency — 5,000 calls/s at ~10 ms is 50 in flight — and a backlog after a stall drains
 * faster. An idle keep-alive connection costs a socket on each side, nothing more.
 */
export const DEFAULT_HTTP_POOL: HttpPoolOptions = { connections: 64, keepAliveTimeoutMs: 30_000, pipelining: 1 };

export interface HttpReply {
  status: number;
  body: string;
}

export class HttpTransport {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly untrack: () => void;
  /** Requests the pool can have on the wire at once: more would wait inside undici, unseen. */
  readonly capacity: number;

  constructor(wallet: WalletCode, baseUrl: string, options: Partial<HttpPoolOptions> = {}) {
    const o = { ...DEFAULT_HTTP_POOL, ...options };
    this.capacity = o.connections * o.pipelining;
    const url = new URL(baseUrl);
    this.basePath = url.pathname.replace(/\/$/, '');
    this.pool = new Pool(url.origin, {
      connections: o.connections,
      pipelining: o.pipelining,
      keepAliveTimeout: o.keepAliveTimeoutMs,
      keepAliveMaxTimeout: Math.max(o.keepAliveTimeoutMs, 1_000),
      // No header or body timer per request: the guard's AttemptDeadline bounds every attempt and
      // aborts it (the socket is destroyed and the connection freed; test/channels/wechat.test.ts
      // "an expired deadline aborts a stalled request"). undici's 300 s defaults only added a
      // FastTimer and its bookkeeping to every request.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    this.untrack = trackConnections(wallet, () => this.pool.stats.connected);
  }

  get openConnections(): number {
    return this.pool.stats.connected;
  }

  /** POSTs `body`; resolves with the whole reply, rejects on a transport error or once `deadline` passes. */
  post(path: string, body: string, contentType: string, deadline: AttemptDeadline): Promise<HttpReply> {
    return new Promise<HttpReply>((resolve, reject) => {
      const collector = new ReplyCollector(resolve, reject);
      deadline.onExpire((reason) => collector.abort(reason));
      this.pool.dispatch(
        { path: this.basePath + path, method: 'POST', headers: headersFor(contentType), body },
        collector,
      );
    });
  }

  async close(): Promise<void> {
    this.untrack();
    await this.pool.close();
  }
}

/**
 * The request headers as undici's flat [name, value] array, one per content type (a connector has
 * one): undici reads an object's headers through an iterator check and Object.keys on every request,
 * and only reads the array.
 */
const headerArrays = new Map<string, readonly string[]>();

function headersFor(contentType: string): string[] {
  let headers = headerArrays.get(contentType);
  if (headers === undefined) {
    headers = Object.freeze(['content-type', contentType]);
    headerArrays.set(contentType, headers);
  }
  return headers as string[];
}

/** One request's dispatch handler: keeps the status, gathers the body, settles the promise once. */
class ReplyCollector implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private abortReason: Error | undefined;
  private status = 0;
  private readonly chunks: Buffer[] = [];

  constructor(
    private readonly resolve: (reply: HttpReply) => void,
    private readonly reject: (err: unknown) => void,
  ) {}

  /** Cancels the request, whether it is on the wire or still waiting for a connection. */
  abort(reason: Error): void {
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const { chunks } = this;
    const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    this.resolve({ status: this.status, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if ((err as { code?: string }).code === 'ECONNREFUSED') this.reject(new NotSentError('connection refused'));
    else this.reject(err);
  }
}
