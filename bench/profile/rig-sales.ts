// What the in-process profiles of a sale share: the rig and its boxes, an approved sale, the
// wallets' approving test codes and the heap after a full collection.
import type { Box } from '../../src/box/box.js';
import { alCode, type Backend, type Rig, startRig, upCode, wxCode } from '../../test/flows/rig.js';

/** An approving test payment code per wallet, from its last two digits (00–79). */
export const CODES = { UP: upCode, WX: wxCode, AL: alCode } as const;
export type Wallet = keyof typeof CODES;

/** Boxes selling in the closed loop. */
const BOXES = 20;

/**
 * boxfep (the memory store, or Redis at 127.0.0.1:6379 under a key prefix of its own) and its
 * sandboxes in this process, and 20 boxes signed on to it.
 */
export async function startSalesRig(backend: Backend = 'memory'): Promise<{ rig: Rig; boxes: Box[] }> {
  const rig = await startRig(backend, { config: { payDeadlineMs: 10_000, walletTimeoutMs: 5_000 } });
  try {
    return { rig, boxes: await Promise.all(Array.from({ length: BOXES }, () => rig.box())) };
  } catch (err) {
    await rig.stop();
    throw err;
  }
}

/** Sale number `i` on `box` with an approving code; anything but 00 stops the run. */
export async function approvedSale(box: Box, wallet: Wallet, i: number): Promise<void> {
  const reply = await box.sale(100 + (i % 1000), CODES[wallet](String(i % 80).padStart(2, '0')));
  if (reply.rc !== '00') throw new Error(`sale answered ${reply.rc}`);
}

/** The heap in use after two full collections (run node with --expose-gc). */
export function heapAfterFullGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
