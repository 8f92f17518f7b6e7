// Starts a boxfep box server on loopback (port 0, memory store unless given, inline crypto, test LMK)
// with terminals provisioned, for tests that talk to it through the box emulator.
import { DEFAULTS, type ServeConfig } from '../../../src/config/serve-config.js';
import { createCryptoService } from '../../../src/crypto/service.js';
import { Fep, type FepOptions } from '../../../src/server/fep.js';
import { createStore, type Store } from '../../../src/store/store.js';
import { provisionTerminals, type TerminalInput } from '../../../src/terminals/provisioning.js';

import { TEST_LMK, TMK } from '../../helpers/loopback.js';

export { TEST_LMK, TMK };
export const BDK = '0123456789ABCDEFFEDCBA9876543210';
export const AES_BDK = 'FEDCBA9876543210F1F1F1F1F1F1F1F1';
export const MID = '123456789012345';

export interface Harness {
  fep: Fep;
  /** The server's store (memory unless given), for tests that look at or count its calls. */
  store: Store;
  port: number;
  ports: number[];
  stop(): Promise<void>;
}

export async function startHarness(
  terminals: TerminalInput[],
  config: Partial<ServeConfig> = {},
  extra: Partial<FepOptions> = {},
): Promise<Harness> {
  const cfg: ServeConfig = { ...DEFAULTS, host: '127.0.0.1', boxPort: 0, drainMs: 2000, ...config };
  const store = extra.store ?? createStore('memory');
  const crypto = createCryptoService({ mode: 'inline', lmk: TEST_LMK });
  await provisionTerminals(store, crypto, terminals);
  const fep = await Fep.start({ config: cfg, store, crypto, admin: false, ...extra });
  return { fep, store, port: fep.boxPorts[0], ports: fep.boxPorts, stop: () => fep.stop() };
}

export const sessionTerminal = (tid: string, more: Partial<TerminalInput> = {}): TerminalInput => ({
  tid,
  mid: MID,
  tmk: TMK,
  keyMode: 'session',
  mac: 'cups-ecb',
  ...more,
});
