// boxfep's composition root: wallets (in-process sandboxes by default, or configured endpoints),
// the notify port, the transaction flows on the box server's dispatcher, the push dispatcher and the
// recovery resolver — started in dependency order and stopped in reverse.

import type { GuardOptions } from '../channels/guard.js';
import { NotifyServer } from '../channels/notify-server.js';
import { cryptoOptionsFrom } from '../config/crypto-options.js';
import type { ServeConfig } from '../config/serve-config.js';
import { type CryptoService, createCryptoService } from '../crypto/service.js';
import { type FlowDeps, type FlowTiming, flowDeps } from '../flows/context.js';
import { notificationHandler } from '../flows/notifications.js';
import { PushDispatcher } from '../flows/push.js';
import { Resolver } from '../flows/recovery.js';
import { registerFlows } from '../flows/register.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { Fep } from '../server/fep.js';
import { busFor } from '../store/bus.js';
import { createStore, type Store, type StoreOptions } from '../store/store.js';
import { createWallets, type Sandboxes, type SandboxSettings, type WalletEndpoints } from './wallets.js';
import { loadWalletsFile } from './wallets-file.js';

export interface BoxfepOptions {
  /** The LMK; needed unless `crypto` is given. */
  lmk?: Buffer;
  logger?: Logger;
  /** Injected instead of created from the config; closed by stop() either way. */
  store?: Store;
  crypto?: CryptoService;
  /** Start the admin HTTP endpoint (default true). */
  admin?: boolean;
  /** Box and notify listeners of this process's own even in a cluster worker (the warm-up's scratch FEP). */
  exclusiveListeners?: boolean;
  /** Timing beyond what the config sets (cancel budget, C2B polling, push resend...). */
  timing?: Partial<FlowTiming>;
  /** Real wallet endpoints; a wallet without one uses its sandbox when `config.sandbox` is on. */
  wallets?: WalletEndpoints;
  sandboxes?: SandboxSettings;
  /** Wallet call guard beyond the configured timeout (breaker, retries, concurrency). */
  guard?: Partial<GuardOptions>;
  /** Background loops' periods (ms); recovery defaults to the config's. */
  pushTickMs?: number;
  recoveryTickMs?: number;
}

export interface Boxfep {
  fep: Fep;
  sandboxes: Sandboxes;
  notify: NotifyServer;
  flows: FlowDeps;
  pushes: PushDispatcher;
  resolver: Resolver;
  /** Stops background loops, the notify port and the box server (graceful), then the wallets. */
  stop(): Promise<void>;
}

/** Flow timing from the serve configuration. */
export function timingFrom(config: ServeConfig): Partial<FlowTiming> {
  return {
    payDeadlineMs: config.payDeadlineMs,
    queryIntervalMs: config.queryIntervalMs,
    c2bExpiryMs: config.c2bExpiryMs,
    c2bQueryIntervalMs: config.c2bQueryIntervalMs,
    cancelBudgetMs: config.walletTimeoutMs,
  };
}

/**
 * Store options that follow the configuration: recovery first looks at an order once its own
 * handler must have finished (pay deadline + cancel budget), so a crashed request is picked up
 * soon after, and a live one is never raced.
 */
export function storeOptionsFrom(config: ServeConfig, logger?: Logger): StoreOptions {
  return {
    recoveryDelayMs: config.payDeadlineMs + config.walletTimeoutMs + 1_000,
    keyPrefix: config.storePrefix,
    terminalCacheMs: config.terminalCacheMs,
    // A node reads the contexts of the boxes it holds: no more than it may hold.
    terminalCacheSize: config.maxConnections,
    logger,
  };
}

export async function startBoxfep(config: ServeConfig, opts: BoxfepOptions = {}): Promise<Boxfep> {
  const logger = opts.logger ?? silentLogger;
  // Endpoints given in code win; then the --wallets file; wallets in neither use sandboxes (if on).
  const endpoints = { ...(config.wallets ? loadWalletsFile(config.wallets) : {}), ...opts.wallets };
  const store = opts.store ?? createStore(config.store, storeOptionsFrom(config, logger));
  let crypto = opts.crypto;
  if (!crypto) {
    if (!opts.lmk) throw new Error('an LMK is needed to create the crypto service');
    crypto = createCryptoService(cryptoOptionsFrom(config, opts.lmk, logger));
  }
  const wallets = createWallets({
    sandbox: config.sandbox,
    endpoints,
    sandboxSettings: opts.sandboxes,
    guard: { timeoutMs: config.walletTimeoutMs, ...opts.guard },
    signer: crypto.rsaSign.bind(crypto),
    logger,
  });
  const cleanup: Array<() => Promise<unknown>> = [];
  const undo = async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  };
  try {
    let deps: FlowDeps | undefined;
    const notify = new NotifyServer({
      handlers: wallets.notifyHandlers,
      port: config.notifyPort,
      host: config.host,
      exclusive: opts.exclusiveListeners,
      logger,
      onEvent: (event) => {
        if (!deps) throw new Error('flows not ready');
        return notificationHandler(deps)(event);
      },
    });
    await notify.start();
    cleanup.push(() => notify.stop());
    cleanup.push(() => wallets.close());
    await wallets.connect((w) => notify.urlFor(w));

    const fep = await Fep.start({
      config,
      store,
      crypto,
      logger,
      admin: opts.admin,
      exclusiveListeners: opts.exclusiveListeners,
      routes: (services) => {
        deps = flowDeps({
          store: services.store,
          pushes: services.pushes,
          channels: wallets.channels,
          defaultAccounts: wallets.defaultAccounts,
          timing: { ...timingFrom(config), ...opts.timing },
          logger,
        });
        registerFlows(services.dispatcher, deps);
      },
    });
    const flows = deps as unknown as FlowDeps;
    // Several nodes may share the store: the bus hands a push to the node holding its box.
    const pushes = new PushDispatcher(flows, opts.pushTickMs, busFor(store));
    const resolver = new Resolver(flows, {
      tickMs: opts.recoveryTickMs ?? config.recoveryTickMs,
      leaseMs: config.recoveryLeaseMs,
    });
    pushes.start();
    resolver.start();
    logger.info(
      { notify: notify.url, wallets: Object.keys(wallets.channels), sandboxes: Object.keys(wallets.sandboxes) },
      'flows ready',
    );
    let stopping: Promise<void> | undefined;
    return {
      fep,
      sandboxes: wallets.sandboxes,
      notify,
      flows,
      pushes,
      resolver,
      stop() {
        stopping ??= (async () => {
          await resolver.stop();
          await pushes.stop();
          await notify.stop();
          await fep.stop();
          await wallets.close();
        })();
        return stopping;
      },
    };
  } catch (err) {
    await undo();
    await crypto.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }
}
