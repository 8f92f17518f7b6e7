// A boxfep for observability tests: box listener and admin endpoint on loopback ephemeral ports,
// the crypto worker pool (so the pool's metrics move), terminals provisioned, optional extra routes.
import { DEFAULTS, type ServeConfig } from '../../../src/config/serve-config.js';
import { createCryptoService } from '../../../src/crypto/service.js';
import type { Logger } from '../../../src/log/logger.js';
import { Fep, type FepOptions } from '../../../src/server/fep.js';
import type { Store } from '../../../src/store/store.js';
import { provisionTerminals, type TerminalInput } from '../../../src/terminals/provisioning.js';

import { TEST_LMK, TMK } from '../../helpers/loopback.js';

export { TEST_LMK, TMK };
export const MID = '123456789012345';

export const sessionTerminal = (tid: string): TerminalInput => ({
  tid,
  mid: MID,
  tmk: TMK,
  keyMode: 'session',
  mac: 'cups-ecb',
});

export interface ObservedFep {
  fep: Fep;
  boxPort: number;
  adminPort: number;
  stop(): Promise<void>;
}

export async function startObservedFep(opts: {
  store: Store;
  terminals: TerminalInput[];
  config?: Partial<ServeConfig>;
  routes?: FepOptions['routes'];
  logger?: Logger;
  crypto?: 'pool' | 'inline';
}): Promise<ObservedFep> {
  const config: ServeConfig = {
    ...DEFAULTS,
    host: '127.0.0.1',
    boxPort: 0,
    adminPort: 0,
    drainMs: 3000,
    ...opts.config,
  };
  const crypto = createCryptoService({ mode: opts.crypto ?? 'pool', lmk: TEST_LMK, threads: 1 });
  await provisionTerminals(opts.store, crypto, opts.terminals);
  const fep = await Fep.start({ config, store: opts.store, crypto, routes: opts.routes, logger: opts.logger });
  const adminPort = fep.admin?.port;
  if (adminPort === undefined) throw new Error('admin endpoint did not start');
  return { fep, boxPort: fep.boxPorts[0], adminPort, stop: () => fep.stop() };
}
