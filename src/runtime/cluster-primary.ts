// The primary of `boxfep serve --workers N`: forks N worker processes (cluster-worker.ts) that share
// the box and notify ports through node:cluster, runs what must exist once (the wallet sandboxes, the
// admin endpoint with one aggregated /metrics), restarts a worker that dies with a backoff, and on
// SIGTERM/SIGINT drains every worker and exits when all are done.
//
// Scheduling: round-robin by the primary (cluster.SCHED_RR), set explicitly so it holds on every
// platform. Box connections are long-lived and mostly idle, so what matters is that they are spread
// evenly over the workers; letting the kernel pick (SCHED_NONE) tends to pile new connections onto
// whichever process wakes first. The primary only touches a connection once, at accept.
import cluster, { type Worker } from 'node:cluster';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { AlipaySandbox } from '../channels/alipay/sandbox.js';
import { UnionPaySandbox } from '../channels/unionpay/sandbox.js';
import { WechatSandbox } from '../channels/wechat/sandbox.js';
import type { ServeConfig } from '../config/serve-config.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { workerRestarts, workersLive } from '../metrics/cluster.js';
import { registry } from '../metrics/registry.js';
import { AdminServer } from '../server/admin-server.js';
import { type FromWorker, isBoxfepMessage, type ToWorker } from './cluster-messages.js';
import { SANDBOX_ACCOUNTS } from './wallets.js';
import { semiSpaceMbInForce } from './young-generation.js';

export interface PrimaryOptions {
  logger?: Logger;
  /** Restart backoff: the first restart after this, doubling per quick death, capped (ms). */
  restartBaseMs?: number;
  restartMaxMs?: number;
  /** A worker that ran this long before dying restarts after the base delay again. */
  stableAfterMs?: number;
}

interface Slot {
  n: number;
  worker?: Worker;
  ready: boolean;
  startedAt: number;
  /** Deaths in a row that came soon after a start (the backoff's exponent). */
  quickDeaths: number;
  restartTimer?: NodeJS.Timeout;
}

type Readiness = { ready: boolean; checks: Record<string, boolean> };

const ASK_TIMEOUT_MS = { metrics: 3_000, readiness: 1_000 } as const;
/** Beyond --drain-ms, the time a worker gets to close its store and crypto pool before SIGKILL. */
const EXIT_GRACE_MS = 5_000;

type Json = Record<string, unknown>;

/**
 * The wallet endpoints every worker uses, as wallets-file JSON: the --wallets file's, and for each
 * wallet it does not name (with --sandbox) a sandbox started here, once.
 */
async function walletEndpoints(
  config: ServeConfig,
): Promise<{ json?: string; sandboxes: Array<{ stop(): Promise<void> }> }> {
  const doc: Json = config.wallets ? (JSON.parse(readFileSync(config.wallets, 'utf8')) as Json) : {};
  const sandboxes: Array<{ stop(): Promise<void> }> = [];
  if (config.sandbox) {
    if (doc.wechat === undefined) {
      const s = new WechatSandbox();
      await s.start();
      sandboxes.push(s);
      doc.wechat = { url: s.url, apiKey: s.apiKey, account: SANDBOX_ACCOUNTS.WX };
    }
    if (doc.alipay === undefined) {
      const s = new AlipaySandbox();
      await s.start();
      sandboxes.push(s);
      doc.alipay = {
        gatewayUrl: s.url,
        alipayPublicKeyPem: s.alipayKeys.publicKeyPem,
        appPrivateKeyPem: s.appKeys.privateKeyPem,
        account: SANDBOX_ACCOUNTS.AL,
      };
    }
    if (doc.unionpay === undefined) {
      const s = new UnionPaySandbox();
      await s.start();
      sandboxes.push(s);
      doc.unionpay = { host: s.address.address, port: s.address.port, account: SANDBOX_ACCOUNTS.UP };
    }
  }
  return { json: Object.keys(doc).length > 0 ? JSON.stringify(doc) : undefined, sandboxes };
}

/** Runs the primary until it is told to stop; resolves with the exit status (0: every worker drained). */
export async function runPrimary(config: ServeConfig, opts: PrimaryOptions = {}): Promise<number> {
  const log = opts.logger ?? silentLogger;
  const baseMs = opts.restartBaseMs ?? 250;
  const maxMs = opts.restartMaxMs ?? 10_000;
  const stableMs = opts.stableAfterMs ?? 10_000;

  const wallets = await walletEndpoints(config);
  cluster.schedulingPolicy = cluster.SCHED_RR;
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./cluster-worker.js', import.meta.url)), args: [] });

  const slots: Slot[] = Array.from({ length: config.workers }, (_, i) => ({
    n: i + 1,
    ready: false,
    startedAt: 0,
    quickDeaths: 0,
  }));
  let everyoneStarted = false;
  let stopping = false;
  let unclean = false;
  let done!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));

  // Questions to workers (metrics, readiness), answered by id; an unanswered one times out.
  let nextId = 0;
  const asks = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const ask = <T>(w: Worker, what: 'metrics' | 'readiness'): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        asks.delete(id);
        reject(new Error(`worker ${w.process.pid} did not answer (${what})`));
      }, ASK_TIMEOUT_MS[what]);
      asks.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      w.send({ boxfep: 'ask', id, what } satisfies ToWorker);
    });

  const liveReady = () => slots.filter((s) => s.ready && s.worker?.isConnected());

  const fork = (slot: Slot) => {
    const worker = cluster.fork();
    slot.worker = worker;
    slot.ready = false;
    slot.startedAt = Date.now();
    worker.on('message', (m: unknown) => {
      if (!isBoxfepMessage(m)) return;
      const msg = m as FromWorker;
      if (msg.boxfep === 'hello') {
        worker.send({ boxfep: 'start', slot: slot.n, config, wallets: wallets.json } satisfies ToWorker);
      } else if (msg.boxfep === 'ready') {
        slot.ready = true;
        workersLive.set(liveReady().length);
        if (!everyoneStarted && slots.every((s) => s.ready)) {
          everyoneStarted = true;
          log.info(
            {
              box: msg.box,
              admin: admin.port,
              notify: msg.notify,
              workers: config.workers,
              pids: slots.map((s) => s.worker?.process.pid),
              store: config.store.replace(/\/\/[^@/]*@/, '//***@'),
              scheduling: 'round-robin',
              // the workers are forked with this process's node flags
              semiSpaceMb: semiSpaceMbInForce(),
            },
            'boxfep serving',
          );
        }
      } else if (msg.boxfep === 'answer') {
        const pending = asks.get(msg.id);
        asks.delete(msg.id);
        if (msg.error !== undefined) pending?.reject(new Error(msg.error));
        else pending?.resolve(msg.result);
      }
    });
    worker.on('exit', (code, signal) => onExit(slot, worker, code, signal));
  };

  const onExit = (slot: Slot, worker: Worker, code: number | null, signal: string | null) => {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    slot.ready = false;
    workersLive.set(liveReady().length);
    const pid = worker.process.pid;
    if (stopping) {
      if (code !== 0) unclean = true;
      log.info({ worker: slot.n, pid, code, signal }, 'worker exited');
      if (slots.every((s) => !s.worker)) done(unclean ? 1 : 0);
      return;
    }
    if (!everyoneStarted) {
      // A worker that cannot start (port taken, bad store URL…) will not start on a retry either.
      log.error({ worker: slot.n, pid, code, signal }, 'worker failed at start: stopping');
      unclean = true;
      void stop('start-failure');
      return;
    }
    slot.quickDeaths = Date.now() - slot.startedAt < stableMs ? slot.quickDeaths + 1 : 1;
    const delayMs = Math.min(maxMs, baseMs * 2 ** (slot.quickDeaths - 1));
    log.error({ worker: slot.n, pid, code, signal, restartInMs: delayMs }, 'worker died: restarting');
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (stopping) return;
      workerRestarts.inc();
      fork(slot);
    }, delayMs);
  };

  const readiness = async (): Promise<Readiness> => {
    const checks: Record<string, boolean> = {};
    await Promise.all(
      slots.map(async (s) => {
        const w = s.worker;
        checks[`worker-${s.n}`] =
          !stopping &&
          s.ready &&
          w !== undefined &&
          (await ask<Readiness>(w, 'readiness').catch(() => undefined))?.ready === true;
      }),
    );
    // One worker restarting must not take the whole machine out of the balancer: ready while any serves.
    return { ready: Object.values(checks).some(Boolean), checks };
  };

  const aggregatedMetrics = async (): Promise<string> => {
    const mine = await registry.getMetricsAsJSON();
    const theirs = await Promise.all(
      slots.map((s) =>
        s.worker
          ? ask<MetricObjectWithValues<MetricValue<string>>[]>(s.worker, 'metrics').catch(() => undefined)
          : undefined,
      ),
    );
    const all = [mine, ...theirs.filter((x) => x !== undefined)];
    return AggregatorRegistry.aggregate(all as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
  };

  const admin = new AdminServer([], log, { contentType: registry.contentType, metrics: aggregatedMetrics }, readiness);

  const stop = async (reason: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ reason, drainMs: config.drainMs }, 'draining all workers');
    for (const s of slots) {
      if (s.restartTimer) clearTimeout(s.restartTimer);
      s.restartTimer = undefined;
      if (s.worker?.isConnected()) s.worker.send({ boxfep: 'drain' } satisfies ToWorker);
      else if (s.worker) s.worker.process.kill('SIGTERM');
    }
    if (slots.every((s) => !s.worker)) done(unclean ? 1 : 0);
    const killTimer = setTimeout(() => {
      for (const s of slots) {
        if (!s.worker) continue;
        log.error({ worker: s.n, pid: s.worker.process.pid }, 'worker did not finish draining: killing it');
        unclean = true;
        s.worker.process.kill('SIGKILL');
      }
    }, config.drainMs + EXIT_GRACE_MS);
    killTimer.unref();
  };

  const onSignal = (signal: NodeJS.Signals) => void stop(signal);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await admin.start(config.adminPort, config.host);
  } catch (err) {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await Promise.all(wallets.sandboxes.map((s) => s.stop()));
    throw err;
  }
  for (const s of slots) fork(s);

  const code = await finished;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  await admin.stop();
  await Promise.all(wallets.sandboxes.map((s) => s.stop().catch(() => undefined)));
  log.info({ code }, 'stopped');
  return code;
}
