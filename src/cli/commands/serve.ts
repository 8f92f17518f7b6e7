// `boxfep serve`: the whole FEP (box server, flows, wallets, notify and admin endpoints). Settings come from flags, BOXFEP_*
// variables and a JSON config file (see src/config/serve-config.ts). SIGTERM/SIGINT drain
// gracefully: stop accepting, answer what is in flight, close idle boxes, exit within --drain-ms.
// With --workers N > 1 this process becomes the cluster primary (src/runtime/cluster-primary.ts).
import { readFileSync } from 'node:fs';
import { cryptoOptionsFrom } from '../../config/crypto-options.js';
import {
  ConfigError,
  resolveServeConfig,
  type ServeConfig,
  serveFlagOptions,
  serveHelp,
} from '../../config/serve-config.js';
import { CryptoError, type CryptoService, createCryptoService, loadLmk } from '../../crypto/service.js';
import { createLogger } from '../../log/logger.js';
import { runPrimary } from '../../runtime/cluster-primary.js';
import { loadWalletsFile, startBoxfep, storeOptionsFrom } from '../../runtime/index.js';
import { warmUpBeforeServing } from '../../runtime/warm-up.js';
import { semiSpaceMbInForce } from '../../runtime/young-generation.js';
import { createStore, type Store, StoreInputError } from '../../store/store.js';
import { provisionDemoTerminal } from '../../terminals/demo.js';
import { parseTerminalsFile, provisionTerminals, TerminalInputError } from '../../terminals/provisioning.js';
import { parseFlags } from '../args.js';
import { UsageError } from '../usage-error.js';

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, serveFlagOptions(), false);
  if (values.help) {
    process.stdout.write(serveHelp());
    return 0;
  }
  const logger = createLogger();
  let config: ReturnType<typeof resolveServeConfig>;
  let lmk: Buffer;
  let store: ReturnType<typeof createStore>;
  try {
    config = resolveServeConfig({
      flags: values as Record<string, unknown>,
      env: process.env,
      file: (values.config as string | undefined) ?? process.env.BOXFEP_CONFIG,
    });
    if (config.workers > 1 && (config.store === 'memory' || config.store === 'memory://')) {
      throw new UsageError(
        `--workers ${config.workers} needs a shared store: the memory store lives inside one process, so ` +
          'workers would not see each other’s keys, orders or pushes. Use --store redis://host:port ' +
          '(or redis+cluster://…), or run one process (--workers 1).',
      );
    }
    // Read once here so a bad wallets file is a usage error (exit 2), not a crash at start.
    if (config.wallets) loadWalletsFile(config.wallets);
    lmk = loadLmk({ file: config.lmkFile, logger }).lmk;
    store = createStore(config.store, storeOptionsFrom(config, logger));
  } catch (err) {
    if (err instanceof ConfigError || err instanceof CryptoError || err instanceof StoreInputError) {
      throw new UsageError(err.message);
    }
    throw err;
  }
  if (config.workers > 1) {
    // Terminals are provisioned once, here, before any worker starts; the workers own the rest.
    const crypto = createCryptoService({ mode: 'inline', lmk, logger });
    try {
      await provisionAtStart(config, store, crypto);
    } finally {
      await crypto.close();
      await store.close();
    }
    return runPrimary(config, { logger });
  }
  // Before anything is provisioned or counted: the warm-up's counts are reset when it ends.
  await warmUpBeforeServing(config, logger);
  const crypto = createCryptoService(cryptoOptionsFrom(config, lmk, logger));
  try {
    await provisionAtStart(config, store, crypto);
  } catch (err) {
    await crypto.close();
    await store.close();
    throw err;
  }

  // The whole FEP: box server, transaction flows, wallets (sandboxes when --sandbox), notify port.
  const app = await startBoxfep(config, { store, crypto, logger });
  const fep = app.fep;
  logger.info(
    {
      box: fep.boxPorts,
      admin: fep.admin?.port,
      store: store.backend,
      crypto: crypto.mode,
      // the young generation's limit in force (docs/operations.md, "The young generation")
      semiSpaceMb: semiSpaceMbInForce(),
    },
    'boxfep serving',
  );
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal, drainMs: config.drainMs }, 'draining');
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      app.stop().then(
        () => {
          logger.info('stopped');
          resolve(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'unclean stop');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

/** `--terminals FILE` upserted, or on the embedded defaults the demo terminal provisioned and printed. */
async function provisionAtStart(config: ServeConfig, store: Store, crypto: CryptoService): Promise<void> {
  const logger = createLogger();
  try {
    if (config.terminals) {
      const inputs = parseTerminalsFile(readFileSync(config.terminals, 'utf8'), config.terminals);
      const results = await provisionTerminals(store, crypto, inputs);
      logger.info({ file: config.terminals, terminals: results.length }, 'terminals upserted');
    } else if (config.demo && store.backend === 'memory' && (await store.listTerminals()).length === 0) {
      const demo = await provisionDemoTerminal(store, crypto);
      process.stdout.write(
        `demo terminal: TID ${demo.tid}  MID ${demo.mid}  TMK ${demo.tmk} (KCV ${demo.kcv})\n` +
          `try: boxfep box signon --port ${config.boxPort} --tid ${demo.tid} --mid ${demo.mid} --tmk ${demo.tmk}\n`,
      );
    }
  } catch (err) {
    if (err instanceof TerminalInputError) throw new UsageError(err.message);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`cannot read ${config.terminals}`);
    throw err;
  }
}
