// `boxfep serve`: the whole FEP (box server, flows, wallets, notify and admin endpoints). Settings come from flags, BOXFEP_*
// variables and a JSON config file (see src/config/serve-config.ts). SIGTERM/SIGINT drain
// gracefully: stop accepting, answer what is in flight, close idle boxes, exit within --drain-ms.
import { readFileSync } from 'node:fs';
import { ConfigError, resolveServeConfig, serveFlagOptions, serveHelp } from '../../config/serve-config.js';
import { CryptoError, createCryptoService, DEFAULT_CRYPTO_OPTIONS, loadLmk } from '../../crypto/service.js';
import { createLogger } from '../../log/logger.js';
import { loadWalletsFile, startBoxfep, storeOptionsFrom } from '../../runtime/index.js';
import { createStore, StoreInputError } from '../../store/store.js';
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
  let config: ReturnType<typeof resolveServeConfig>;
  let lmk: Buffer;
  let store: ReturnType<typeof createStore>;
  try {
    config = resolveServeConfig({
      flags: values as Record<string, unknown>,
      env: process.env,
      file: (values.config as string | undefined) ?? process.env.BOXFEP_CONFIG,
    });
    // Read once here so a bad wallets file is a usage error (exit 2), not a crash at start.
    if (config.wallets) loadWalletsFile(config.wallets);
    lmk = loadLmk({ file: config.lmkFile, logger: createLogger() }).lmk;
    store = createStore(config.store, storeOptionsFrom(config));
  } catch (err) {
    if (err instanceof ConfigError || err instanceof CryptoError || err instanceof StoreInputError) {
      throw new UsageError(err.message);
    }
    throw err;
  }
  const logger = createLogger();
  const crypto = createCryptoService({
    ...DEFAULT_CRYPTO_OPTIONS,
    mode: config.crypto,
    lmk,
    threads: config.cryptoThreads,
    logger,
  });
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
    await crypto.close();
    await store.close();
    if (err instanceof TerminalInputError) throw new UsageError(err.message);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`cannot read ${config.terminals}`);
    throw err;
  }

  // The whole FEP: box server, transaction flows, wallets (sandboxes when --sandbox), notify port.
  const app = await startBoxfep(config, { store, crypto, logger });
  const fep = app.fep;
  logger.info(
    { box: fep.boxPorts, admin: fep.admin?.port, store: store.backend, crypto: crypto.mode },
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
