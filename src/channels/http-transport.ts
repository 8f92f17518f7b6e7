// A keep-alive connection pool to one wallet origin (undici Pool): persistent connections, a bounded
// number of them, requests cancelled by the guard's deadline signal.
import { Pool } from 'undici';
import { trackConnections } from '../metrics/channels.js';
import type { WalletCode } from '../terminals/types.js';
import { NotSentError } from './guard.js';

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
    });
    this.untrack = trackConnections(wallet, () => this.pool.stats.connected);
  }

  get openConnections(): number {
    return this.pool.stats.connected;
  }

  async post(path: string, body: string, contentType: string, signal: AbortSignal): Promise<HttpReply> {
    try {
      const res = await this.pool.request({
        path: this.basePath + path,
        method: 'POST',
        headers: { 'content-type': contentType },
        body,
        signal,
      });
      return { status: res.statusCode, body: await res.body.text() };
    } catch (err) {
      if ((err as { code?: string }).code === 'ECONNREFUSED') throw new NotSentError('connection refused');
      throw err;
    }
  }

  async close(): Promise<void> {
    this.untrack();
    await this.pool.close();
  }
}
