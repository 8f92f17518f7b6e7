// boxfep's box-facing process assembled: store, crypto, dispatcher with the network-management
// routes, request pipeline, box listeners and the admin endpoint, started and stopped in order.
import { cryptoOptionsFrom } from '../config/crypto-options.js';
import type { ServeConfig } from '../config/serve-config.js';
import { type CryptoService, createCryptoService } from '../crypto/service.js';
import type { Logger } from '../log/logger.js';
import { silentLogger } from '../log/logger.js';
import { trackKeyCache } from '../metrics/crypto.js';
import { createStore, type Store } from '../store/store.js';
import { registerNetworkManagement } from '../terminals/network-management.js';
import { AdminServer, type ReadinessCheck, runReadiness } from './admin-server.js';
import { BoxServer, type ListenerConfig } from './box-server.js';
import { Dispatcher } from './dispatcher.js';
import { RequestPipeline } from './pipeline.js';
import { PushRegistry } from './push-registry.js';

export interface FepServices {
  config: ServeConfig;
  store: Store;
  crypto: CryptoService;
  dispatcher: Dispatcher;
  pushes: PushRegistry;
  logger: Logger;
}

export interface FepOptions {
  config: ServeConfig;
  /** The LMK (see crypto's loadLmk); ignored when `crypto` is given. */
  lmk?: Buffer;
  logger?: Logger;
  /** Injected instead of created from the config (tests, embedding). Closed by stop() either way. */
  store?: Store;
  crypto?: CryptoService;
  /** Registers more routes (the transaction flows) before the listeners open. */
  routes?: (services: FepServices) => void | Promise<void>;
  /** Start the admin HTTP endpoint (default true). */
  admin?: boolean;
  /** Box listeners of this process's own even in a cluster worker (the warm-up's scratch FEP). */
  exclusiveListeners?: boolean;
}

export function listenerConfigs(config: ServeConfig): ListenerConfig[] {
  const base = { host: config.host };
  return [
    { ...base, port: config.boxPort, layout: { maxFrameBytes: config.maxFrameBytes } },
    ...config.listeners.map((l) => ({
      ...base,
      name: l.name,
      port: l.port,
      layout: { length: l.length, tpdu: l.tpdu, header: l.header, maxFrameBytes: config.maxFrameBytes },
    })),
  ];
}

export class Fep implements FepServices {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly config: ServeConfig,
    readonly store: Store,
    readonly crypto: CryptoService,
    readonly dispatcher: Dispatcher,
    readonly pushes: PushRegistry,
    readonly server: BoxServer,
    readonly admin: AdminServer | undefined,
    readonly logger: Logger,
    private readonly checks: readonly ReadinessCheck[],
    private readonly untrackKeyCache: () => void,
  ) {}

  static async start(opts: FepOptions): Promise<Fep> {
    const { config } = opts;
    const logger = opts.logger ?? silentLogger;
    const store = opts.store ?? createStore(config.store);
    let crypto = opts.crypto;
    if (!crypto) {
      if (!opts.lmk) throw new Error('an LMK is needed to create the crypto service');
      crypto = createCryptoService(cryptoOptionsFrom(config, opts.lmk, logger));
    }
    const dispatcher = new Dispatcher();
    const pushes = new PushRegistry(logger);
    registerNetworkManagement(dispatcher, {
      store,
      crypto,
      keyLifetimeMs: config.keyLifetimeMs,
      acquirerId: config.acquirerId,
    });
    await opts.routes?.({ config, store, crypto, dispatcher, pushes, logger });
    const pipeline = new RequestPipeline({
      store,
      crypto,
      dispatcher,
      pushes,
      keyLifetimeMs: config.keyLifetimeMs,
      logger,
    });
    const server = new BoxServer({
      listeners: listenerConfigs(config).map((l) => ({ ...l, exclusive: opts.exclusiveListeners })),
      handler: pipeline,
      idleTimeoutMs: config.idleTimeoutMs,
      maxConnections: config.maxConnections,
      maxConnectionsPerAddress: config.maxConnectionsPerAddress,
      maxInFlightPerConnection: config.maxInFlight,
      pressure: () => pipeline.saturated(),
      logger,
    });
    let admin: AdminServer | undefined;
    const checks: ReadinessCheck[] = [
      { name: 'listeners', check: () => server.listening && !server.draining },
      { name: 'store', check: () => store.ping().then(() => true) },
      { name: 'crypto', check: () => crypto.stats().threads > 0 || crypto.mode === 'inline' },
    ];
    const service = crypto;
    const fep = (): Fep =>
      new Fep(
        config,
        store,
        crypto,
        dispatcher,
        pushes,
        server,
        admin,
        logger,
        checks,
        trackKeyCache(() => service.keyCacheStats()),
      );
    if (opts.admin !== false) admin = new AdminServer(checks, logger);
    await server.start();
    if (admin) await admin.start(config.adminPort, config.host);
    return fep();
  }

  /** What /readyz answers (also without the admin endpoint: a cluster worker reports it to the primary). */
  readiness(): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
    return runReadiness(this.checks);
  }

  get boxPorts(): number[] {
    return this.server.ports;
  }

  /** Graceful: stop accepting, answer in-flight requests within drainMs, then release everything. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.server.stop(this.config.drainMs);
      this.pushes.clear();
      await this.admin?.stop();
      this.untrackKeyCache();
      await this.crypto.close();
      await this.store.close();
    })();
    return this.stopping;
  }
}
