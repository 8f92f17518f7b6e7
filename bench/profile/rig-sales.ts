// What the in-process profiles of a sale share: the wallets' approving test codes and the heap
// after a full collection.
import { alCode, upCode, wxCode } from '../../test/flows/rig.js';

/** An approving test payment code per wallet, from its last two digits (00–79). */
export const CODES = { UP: upCode, WX: wxCode, AL: alCode } as const;
export type Wallet = keyof typeof CODES;

/** The heap in use after two full collections (run node with --expose-gc). */
export function heapAfterFullGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
