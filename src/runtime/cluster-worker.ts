// One worker of `boxfep serve --workers N` (the file node:cluster runs in each worker process). It
// is a whole boxfep node — own event loop, crypto pool and store connections — started from the
// config and wallet endpoints the primary sends, listening on the box and notify ports the primary
// shares among its workers. The primary serves /metrics and /readyz; this worker answers its asks.
import { cryptoOptionsFrom } from '../config/crypto-options.js';
import type { ServeConfig } from '../config/serve-config.js';
import { createCryptoService, loadLmk } from '../crypto/service.js';
import { createLogger, type Logger, silentLogger } from '../log/logger.js';
import { trackWorkerConnections } from '../metrics/cluster.js';
import { registry } from '../metrics/registry.js';
import { type Boxfep, startBoxfep } from './boxfep.js';
import { type FromWorker, isBoxfepMessage, type ToWorker } from './cluster-messages.js';
import { parseWalletsFile } from './wallets-file.js';
import { warmUpBeforeServing } from './warm-up.js';

let app: Boxfep | undefined;
let starting: Promise<void> | undefined;
let stopping = false;
let logger: Logger = createLogger();

const send = (m: FromWorker) => {
  if (process.connected) process.send?.(m);
};

async function start(slot: number, shared: ServeConfig, wallets: string | undefined): Promise<void> {
  logger = createLogger().child({ worker: slot });
  // The primary runs the sandboxes and hands their endpoints over like a wallets file: one set of
  // wallets for all workers, so no order is split over N sandboxes.
  const config: ServeConfig = { ...shared, workers: 1, sandbox: false, wallets: undefined };
  // Same LMK source as the primary, which already warned about a development LMK.
  const { lmk } = loadLmk({ file: config.lmkFile, logger: silentLogger });
  await warmUpBeforeServing(config, logger);
  const crypto = createCryptoService(cryptoOptionsFrom(config, lmk, logger));
  app = await startBoxfep(config, {
    crypto,
    logger,
    admin: false,
    wallets: wallets ? parseWalletsFile(wallets, "the primary's wallet endpoints") : undefined,
  });
  const { fep } = app;
  trackWorkerConnections(slot, () => fep.server.connections.size);
  logger.info({ box: fep.boxPorts, notify: app.notify.url, pid: process.pid }, 'worker serving');
  send({ boxfep: 'ready', slot, box: fep.boxPorts, notify: app.notify.url });
}

/** Graceful, once: whatever asked first (the primary's drain, SIGTERM, SIGINT) starts it. */
function stop(reason: string): void {
  if (stopping) return;
  stopping = true;
  void (async () => {
    logger.info({ reason }, 'worker draining');
    let code = 0;
    try {
      await starting;
      await app?.stop();
      logger.info('worker stopped');
    } catch (err) {
      logger.error({ err }, 'worker: unclean stop');
      code = 1;
    }
    process.exit(code);
  })();
}

async function answer(id: number, what: 'metrics' | 'readiness'): Promise<void> {
  try {
    const result =
      what === 'metrics'
        ? await registry.getMetricsAsJSON()
        : ((await app?.fep.readiness()) ?? { ready: false, checks: { started: false } });
    send({ boxfep: 'answer', id, result });
  } catch (err) {
    send({ boxfep: 'answer', id, error: (err as Error).message });
  }
}

process.on('message', (m: unknown) => {
  if (!isBoxfepMessage(m)) return;
  const msg = m as ToWorker;
  if (msg.boxfep === 'start' && !starting) {
    starting = start(msg.slot, msg.config, msg.wallets).catch((err: unknown) => {
      logger.error({ err }, 'worker failed to start');
      process.exit(1);
    });
  } else if (msg.boxfep === 'drain') stop('primary');
  else if (msg.boxfep === 'ask') void answer(msg.id, msg.what);
});
process.on('SIGTERM', () => stop('SIGTERM'));
// Ctrl-C reaches every process of the group; the primary sends 'drain' as well, whichever comes first.
process.on('SIGINT', () => stop('SIGINT'));
send({ boxfep: 'hello' });
