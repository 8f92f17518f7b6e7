// LMK rotation: re-encrypt every stored key blob from the old LMK to the new one. A blob that already
// opens under the new LMK is left alone, so a second run (or a run resumed after an interruption) is
// a no-op; every re-encrypted blob is opened again under the new LMK and its key check value compared
// with the original's before anything is written. Working keys are not carried over: those still
// under the old LMK are revoked, and boxes sign on again for keys generated under the new one.
// The clear key exists only inside `LmkTranslator.translate`, as the crypto layer's own Key object.
import { timingSafeEqual } from 'node:crypto';
import { checkValue } from '../crypto/kcv.js';
import { KeyVault } from '../crypto/lmk.js';
import type { TerminalStore } from '../store/store.js';
import { forEachLimited } from './for-each-limited.js';
import type { TerminalInput } from './provisioning.js';
import type { KeyBlob, SessionKeys, TerminalRecord } from './types.js';

export type Translation =
  /** Already under the new LMK. */
  | { state: 'current' }
  | { state: 'rewrapped'; blob: KeyBlob }
  /** Opens under neither LMK (a third LMK, or a damaged blob): left as it is. */
  | { state: 'unreadable' };

export class RewrapVerificationError extends Error {
  override name = 'RewrapVerificationError';
}

export class LmkTranslator {
  private readonly from: KeyVault;
  private readonly to: KeyVault;

  constructor(oldLmk: Buffer, newLmk: Buffer) {
    // Small caches: each blob is opened once or twice in a run.
    this.from = new KeyVault(oldLmk, 16);
    this.to = new KeyVault(newLmk, 16);
  }

  /** True when `blob` opens under the new LMK. */
  isCurrent(blob: KeyBlob): boolean {
    return opens(this.to, blob);
  }

  translate(blob: KeyBlob): Translation {
    if (this.isCurrent(blob)) return { state: 'current' };
    if (!opens(this.from, blob)) return { state: 'unreadable' };
    const key = this.from.open(blob);
    const sealed = this.to.sealKey(key);
    // Verify what will be written: the new blob, opened under the new LMK, is the same key.
    const before = checkValue(key, 4);
    const after = checkValue(this.to.open(sealed), 4);
    if (!timingSafeEqual(before, after)) {
      throw new RewrapVerificationError('a re-encrypted key does not match its check value: nothing written');
    }
    return { state: 'rewrapped', blob: sealed };
  }
}

function opens(vault: KeyVault, blob: KeyBlob): boolean {
  try {
    vault.open(blob);
    return true;
  } catch {
    return false;
  }
}

export interface RewrapReport {
  terminals: number;
  /** Key blobs (TMK/BDK) re-encrypted under the new LMK, each verified by its check value. */
  rewrapped: number;
  /** Key blobs already under the new LMK. */
  current: number;
  /** Clear keys in a terminals file (`tmk`/`bdk` as typed at the ceremony): under no LMK, left as they are. */
  clear: number;
  /** Terminals with a key that opens under neither LMK: left as they are. */
  unreadable: string[];
  /** Working keys still under the old LMK (or unreadable), deleted: those boxes sign on again. */
  workingKeysRevoked: number;
  /** Working keys already under the new LMK (issued since the switch): kept. */
  workingKeysKept: number;
  /** Terminals whose key a concurrent writer put back under the old LMK during the run. */
  changedDuringRun: string[];
}

export interface RewrapOptions {
  /** Report what would change without writing anything. */
  dryRun?: boolean;
  /** Store calls in flight at once (default 16). */
  concurrency?: number;
  now?: () => number;
}

const emptyReport = (): RewrapReport => ({
  terminals: 0,
  rewrapped: 0,
  current: 0,
  clear: 0,
  unreadable: [],
  workingKeysRevoked: 0,
  workingKeysKept: 0,
  changedDuringRun: [],
});

const KEY_FIELDS = ['tmk', 'bdk'] as const;

/** Re-encrypts the TMK/BDK of one record; undefined when nothing changes. */
function rewrapRecord(rec: TerminalRecord, tr: LmkTranslator, report: RewrapReport): TerminalRecord | undefined {
  let changed: TerminalRecord | undefined;
  for (const field of KEY_FIELDS) {
    const blob = rec[field];
    if (blob === undefined) continue;
    const t = tr.translate(blob);
    if (t.state === 'current') report.current++;
    else if (t.state === 'unreadable') {
      if (!report.unreadable.includes(rec.tid)) report.unreadable.push(rec.tid);
    } else {
      report.rewrapped++;
      changed ??= { ...rec };
      changed[field] = t.blob;
    }
  }
  return changed;
}

function workingKeysCurrent(keys: SessionKeys, tr: LmkTranslator): boolean {
  return [keys.mak, keys.pik, keys.tdk].every((b) => b === undefined || tr.isCurrent(b));
}

/**
 * Rewraps every terminal key in a store (Redis, or the memory store of a terminals file) and revokes
 * working keys that are not under the new LMK. After the pass every terminal is read again: a key
 * put back under the old LMK meanwhile (a settlement or provisioning writing the record it read
 * before) is listed in `changedDuringRun` — run again to finish.
 */
export async function rewrapStore(
  store: TerminalStore,
  tr: LmkTranslator,
  opts: RewrapOptions = {},
): Promise<RewrapReport> {
  const report = emptyReport();
  const now = opts.now ?? Date.now;
  const terminals = await store.listTerminals();
  report.terminals = terminals.length;
  await forEachLimited(terminals, opts.concurrency ?? 16, async (rec) => {
    const updated = rewrapRecord(rec, tr, report);
    if (updated && !opts.dryRun) await store.putTerminal({ ...updated, updatedAt: now() });
    if (rec.keyMode !== 'session') return;
    const keys = await store.getSessionKeys(rec.tid);
    if (!keys) return;
    if (workingKeysCurrent(keys, tr)) report.workingKeysKept++;
    else {
      report.workingKeysRevoked++;
      if (!opts.dryRun) await store.deleteSessionKeys(rec.tid);
    }
  });
  if (!opts.dryRun) {
    for (const rec of await store.listTerminals()) {
      const stale = KEY_FIELDS.some((f) => rec[f] !== undefined && !tr.isCurrent(rec[f]!));
      if (stale && !report.unreadable.includes(rec.tid)) report.changedDuringRun.push(rec.tid);
    }
  }
  report.unreadable.sort();
  report.changedDuringRun.sort();
  return report;
}

/**
 * The terminals file's entries rewrapped (`tmkUnderLmk`/`bdkUnderLmk`), in the same order. A file
 * holds no working keys: the embedded deployment keeps them in memory, and a restart forgets them.
 */
export function rewrapTerminalInputs(
  inputs: TerminalInput[],
  tr: LmkTranslator,
): { inputs: TerminalInput[]; report: RewrapReport; changed: boolean } {
  const report = emptyReport();
  report.terminals = inputs.length;
  let changed = false;
  const out = inputs.map((input) => {
    const next = { ...input };
    for (const [clear, field] of [
      ['tmk', 'tmkUnderLmk'],
      ['bdk', 'bdkUnderLmk'],
    ] as const) {
      if (input[clear] !== undefined) report.clear++;
      const blob = input[field];
      if (blob === undefined) continue;
      const t = tr.translate(blob);
      if (t.state === 'current') report.current++;
      else if (t.state === 'unreadable') {
        if (!report.unreadable.includes(input.tid)) report.unreadable.push(input.tid);
      } else {
        report.rewrapped++;
        next[field] = t.blob;
        changed = true;
      }
    }
    return next;
  });
  report.unreadable.sort();
  return { inputs: out, report, changed };
}
