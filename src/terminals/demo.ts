// The embedded default (`npm start`) provisions one demo terminal with a fresh random TMK and prints
// it, so a newcomer can sign on with `boxfep box signon` straight away.
import { randomBytes } from 'node:crypto';
import type { CryptoService } from '../crypto/service.js';
import type { TerminalStore } from '../store/store.js';
import { provisionTerminals } from './provisioning.js';

export const DEMO_TID = '00000001';
export const DEMO_MID = '898000000000001';

export interface DemoTerminal {
  tid: string;
  mid: string;
  /** Clear TMK, hex: shown once so the operator can give it to the box emulator. */
  tmk: string;
  kcv: string;
}

export async function provisionDemoTerminal(store: TerminalStore, crypto: CryptoService): Promise<DemoTerminal> {
  const tmk = randomBytes(16).toString('hex').toUpperCase();
  const [result] = await provisionTerminals(store, crypto, [
    { tid: DEMO_TID, mid: DEMO_MID, tmk, keyMode: 'session', mac: 'cups-ecb', merchantName: 'boxfep demo merchant' },
  ]);
  return { tid: DEMO_TID, mid: DEMO_MID, tmk, kcv: result.kcv };
}
