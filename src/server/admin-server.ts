// The admin HTTP endpoint (node:http, no framework): /metrics for Prometheus, /healthz (the process
// answers), /readyz (box listeners up, store answering, crypto started, not draining).
import { createServer, type Server } from 'node:http';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { trackReadiness } from '../metrics/health.js';
// Process metrics (heap, GC, event-loop lag and utilisation) are served wherever /metrics is.
import '../metrics/process.js';
import { registry } from '../metrics/registry.js';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<boolean> | boolean;
}

/** Where /metrics comes from: this process's registry, or (cluster primary) every worker's, aggregated. */
export interface MetricsSource {
  contentType: string;
  metrics(): Promise<string>;
}

/** Every check, run at once; a check that throws counts as not ready. */
export async function runReadiness(
  checks: readonly ReadinessCheck[],
): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        return [c.name, await c.check()] as const;
      } catch {
        return [c.name, false] as const;
      }
    }),
  );
  return { ready: results.every(([, ok]) => ok), checks: Object.fromEntries(results) };
}

export class AdminServer {
  private server: Server | undefined;
  private boundPort = 0;
  private untrackReadiness: (() => void) | undefined;

  constructor(
    private readonly checks: ReadinessCheck[],
    private readonly log: Logger = silentLogger,
    private readonly source: MetricsSource = registry,
    /** Readiness beyond the checks (the cluster primary: its workers'); replaces runReadiness(checks). */
    private readonly readinessOverride?: () => Promise<{ ready: boolean; checks: Record<string, boolean> }>,
  ) {}

  get port(): number {
    return this.boundPort;
  }

  /** Every check, run at once; a check that throws counts as not ready. */
  readiness(): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
    return this.readinessOverride?.() ?? runReadiness(this.checks);
  }

  async start(port: number, host = '0.0.0.0'): Promise<void> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/metrics') {
        this.source.metrics().then(
          (text) => res.writeHead(200, { 'content-type': this.source.contentType }).end(text),
          (err: unknown) => {
            this.log.error({ err }, 'metrics collection failed');
            res.writeHead(500).end();
          },
        );
      } else if (path === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      } else if (path === '/readyz') {
        this.readiness().then((r) =>
          res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify(r)}\n`),
        );
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      }
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : port;
    this.server = server;
    this.untrackReadiness = trackReadiness(() => this.readiness());
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    this.untrackReadiness?.();
    await new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}
