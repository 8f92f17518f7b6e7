// Forcing a box to sign on again: delete its working keys. Its next MACed request finds no keys and
// is answered `22` with header processing requirement 3 (src/server/pipeline.ts), and the box signs
// on for fresh keys under its TMK. Used after a TMK change, a suspected key compromise, or to move a
// fleet onto keys generated under a new LMK. DUKPT boxes have no working keys to revoke.
import type { TerminalStore } from '../store/store.js';
import { forEachLimited } from './for-each-limited.js';
import type { TerminalRecord } from './types.js';

export type ResignOutcome =
  /** Working keys deleted. */
  | 'revoked'
  /** Session terminal that was not signed on: nothing to delete, its next request gets `22` anyway. */
  | 'not-signed-on'
  /** DUKPT terminal: keys derive from the BDK per transaction; there is nothing to revoke. */
  | 'dukpt';

export async function revokeWorkingKeys(store: TerminalStore, terminal: TerminalRecord): Promise<ResignOutcome> {
  if (terminal.keyMode !== 'session') return 'dukpt';
  const had = (await store.getSessionKeys(terminal.tid)) !== undefined;
  await store.deleteSessionKeys(terminal.tid);
  return had ? 'revoked' : 'not-signed-on';
}

export interface ResignAllReport {
  terminals: number;
  revoked: number;
  notSignedOn: number;
  dukpt: number;
}

/** Every session terminal in the store signs on again at its next MACed request. */
export async function revokeAllWorkingKeys(store: TerminalStore, concurrency = 16): Promise<ResignAllReport> {
  const terminals = await store.listTerminals();
  const report: ResignAllReport = { terminals: terminals.length, revoked: 0, notSignedOn: 0, dukpt: 0 };
  await forEachLimited(terminals, concurrency, async (rec) => {
    const outcome = await revokeWorkingKeys(store, rec);
    if (outcome === 'revoked') report.revoked++;
    else if (outcome === 'not-signed-on') report.notSignedOn++;
    else report.dukpt++;
  });
  return report;
}
