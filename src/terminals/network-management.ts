// Network management (box-protocol.md §4, 60.1 = 00): sign-on 0800/003|004 → 0810 with fresh
// working keys in field 62 (session boxes) or without (DUKPT boxes); sign-off 0820/002; echo
// 0820/301 (the heartbeat). None of them carries a MAC.
import type { CryptoService } from '../crypto/service.js';
import { RC } from '../flows/response-codes.js';
import { buildField60 } from '../iso8583/index.js';
import { localTimeFields } from '../server/clock.js';
import type { Dispatcher, TransactionContext, TransactionResult } from '../server/dispatcher.js';
import type { TerminalStore } from '../store/store.js';

export interface NetworkManagementOptions {
  store: TerminalStore;
  crypto: CryptoService;
  /** After this, responses ask the box to sign on again. */
  keyLifetimeMs: number;
  /** How long keys stay usable after their lifetime, while the box gets around to signing on. */
  keyGraceMs?: number;
  /** Field 32 of the 0810. */
  acquirerId: string;
}

export const DEFAULT_KEY_GRACE_MS = 24 * 3600_000;

export function registerNetworkManagement(dispatcher: Dispatcher, opts: NetworkManagementOptions): void {
  const signOn = (ctx: TransactionContext) => handleSignOn(ctx, opts);
  dispatcher.register({ mti: '0800', type: '00', netCode: '003' }, 'signon', signOn);
  dispatcher.register({ mti: '0800', type: '00', netCode: '004' }, 'signon', signOn);
  dispatcher.register({ mti: '0820', type: '00', netCode: '002' }, 'signoff', async (ctx) => {
    await opts.store.deleteSessionKeys(ctx.terminal.tid);
    return { rc: RC.APPROVED };
  });
  // The heartbeat has nothing to wait for: its result is given at once, not as a promise.
  dispatcher.register({ mti: '0820', type: '00', netCode: '301' }, 'echo', () => ({ rc: RC.APPROVED }));
}

async function handleSignOn(ctx: TransactionContext, opts: NetworkManagementOptions): Promise<TransactionResult> {
  const { terminal, request } = ctx;
  const netCode = ctx.f60?.netCode ?? '003';
  const now = Date.now();
  const { time } = localTimeFields(now);
  const fields: Record<number, string> = {
    32: opts.acquirerId,
    // A sign-on moves no money; its reference is the time and the box's trace number.
    37: time + (request.fields[11] ?? '000000'),
    60: buildField60({ type: '00', batch: terminal.batch, netCode }),
  };
  if (terminal.keyMode === 'session') {
    if (!terminal.tmk) throw new Error(`terminal ${terminal.tid} has key mode session but no TMK`);
    const keys = await opts.crypto.generateSignOnKeys(terminal.tmk, {
      withTdk: netCode === '004',
      doubleLengthMak: terminal.mac === 'x9.19',
    });
    const session = { mak: keys.mak, pik: keys.pik, issuedAt: now, ...(keys.tdk ? { tdk: keys.tdk } : {}) };
    await opts.store.putSessionKeys(
      terminal.tid,
      session,
      opts.keyLifetimeMs + (opts.keyGraceMs ?? DEFAULT_KEY_GRACE_MS),
    );
    fields[62] = keys.field62.toString('hex').toUpperCase();
    // Open the new MAK where this box's MACs are checked, now: its first request after a sign-on
    // would otherwise open it under the LMK and make its ciphers (10,000 boxes signing on after a
    // restart: 7.5 % of boxfep's first seconds of load, docs/performance.md seventh round).
    opts.crypto.warmMacKey(terminal.mac, { kind: 'session', mak: keys.mak });
  }
  await opts.store.resetMacFailures(terminal.tid);
  return { rc: RC.APPROVED, fields, omit: [4] };
}
