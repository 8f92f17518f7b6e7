// `boxfep terminal rewrap` (LMK rotation) and `boxfep terminal resign` (forced sign-on), with the
// registry choice they share with the rest of `boxfep terminal`. Nothing here prints or logs a key:
// only counts, TIDs and check values.
import { existsSync } from 'node:fs';
import { DEVELOPMENT_LMK_HEX } from '../crypto/lmk.js';
import { CryptoError, loadLmk } from '../crypto/service.js';
import { createStore, StoreInputError } from '../store/store.js';
import { LmkTranslator, type RewrapReport, rewrapStore, rewrapTerminalInputs } from '../terminals/lmk-rewrap.js';
import { TerminalInputError } from '../terminals/provisioning.js';
import { revokeAllWorkingKeys, revokeWorkingKeys } from '../terminals/resign.js';
import { readTerminalsFile, writeTerminalInputs } from '../terminals/terminals-file.js';
import { UsageError } from './usage-error.js';

type Values = Record<string, unknown>;
export type RegistryTarget = { store: string; keyPrefix?: string } | { file: string };

/**
 * Where the terminals are: `--store` / BOXFEP_STORE (with serve's key prefix, `--store-prefix` /
 * BOXFEP_STORE_PREFIX) or `--terminals-file` / BOXFEP_TERMINALS_FILE.
 */
export function registryTarget(values: Values): RegistryTarget {
  const url = (values.store as string | undefined) ?? process.env.BOXFEP_STORE;
  const file = (values['terminals-file'] as string | undefined) ?? process.env.BOXFEP_TERMINALS_FILE;
  if (url && file) throw new UsageError('give either --store or --terminals-file, not both');
  if (url) {
    if (url === 'memory') throw new UsageError('--store memory forgets everything on exit: use --terminals-file');
    const keyPrefix = (values['store-prefix'] as string | undefined) || process.env.BOXFEP_STORE_PREFIX || undefined;
    return keyPrefix ? { store: url, keyPrefix } : { store: url };
  }
  if (file) return { file };
  throw new UsageError('where are the terminals? give --store redis://… or --terminals-file FILE');
}

export function openStore(target: { store: string; keyPrefix?: string }) {
  try {
    return createStore(target.store, target.keyPrefix ? { keyPrefix: target.keyPrefix } : {});
  } catch (err) {
    if (err instanceof StoreInputError) throw new UsageError(err.message);
    throw err;
  }
}

// The same three sources as serve's LMK (a file flag, a hex variable, a file variable), one set per
// side of the rotation. There is no default: a rotation names both keys.
const ROTATION_LMK = {
  old: { flag: 'old-lmk-file', hex: 'BOXFEP_OLD_LMK', file: 'BOXFEP_OLD_LMK_FILE' },
  new: { flag: 'new-lmk-file', hex: 'BOXFEP_NEW_LMK', file: 'BOXFEP_NEW_LMK_FILE' },
} as const;

function rotationLmk(which: 'old' | 'new', values: Values): Buffer {
  const names = ROTATION_LMK[which];
  const file = values[names.flag] as string | undefined;
  const env = { BOXFEP_LMK: process.env[names.hex], BOXFEP_LMK_FILE: process.env[names.file] };
  if (!file && !env.BOXFEP_LMK && !env.BOXFEP_LMK_FILE) {
    throw new UsageError(`terminal rewrap needs the ${which} LMK: --${names.flag} FILE, ${names.hex} or ${names.file}`);
  }
  try {
    return loadLmk({ file, env }).lmk;
  } catch (err) {
    if (err instanceof CryptoError) {
      throw new UsageError(`${which} LMK: ${err.message.replace(/\bBOXFEP_LMK\b/, names.hex)}`);
    }
    throw err;
  }
}

export async function rewrap(values: Values): Promise<number> {
  const target = registryTarget(values);
  const oldLmk = rotationLmk('old', values);
  const newLmk = rotationLmk('new', values);
  if (oldLmk.equals(newLmk)) throw new UsageError('the old and the new LMK are the same key');
  if (newLmk.equals(Buffer.from(DEVELOPMENT_LMK_HEX, 'hex'))) {
    throw new UsageError('the new LMK is the public development LMK: generate one (openssl rand -hex 32)');
  }
  const translator = new LmkTranslator(oldLmk, newLmk);
  const dryRun = values['dry-run'] === true;
  let report: RewrapReport;
  if ('file' in target) {
    if (!existsSync(target.file)) throw new UsageError(`no terminals file ${target.file}`);
    let result: ReturnType<typeof rewrapTerminalInputs>;
    try {
      result = rewrapTerminalInputs(readTerminalsFile(target.file), translator);
    } catch (err) {
      if (err instanceof TerminalInputError) throw new UsageError(err.message);
      throw err;
    }
    if (result.changed && !dryRun) writeTerminalInputs(target.file, result.inputs);
    report = result.report;
  } else {
    const store = openStore(target);
    try {
      report = await rewrapStore(store, translator, { dryRun });
    } finally {
      await store.close();
    }
  }
  process.stdout.write(values.json ? `${JSON.stringify({ dryRun, ...report })}\n` : formatReport(report, dryRun));
  return report.unreadable.length > 0 || report.changedDuringRun.length > 0 ? 1 : 0;
}

function formatReport(r: RewrapReport, dryRun: boolean): string {
  const row = (label: string, n: number, note = '') => `${label.padEnd(28)}${String(n).padStart(7)}${note}\n`;
  let out = dryRun ? 'dry run: nothing was written\n' : '';
  out += row('terminals', r.terminals);
  out += row(dryRun ? 'keys to re-encrypt' : 'keys re-encrypted', r.rewrapped, '  (each verified by its check value)');
  out += row('keys already under new LMK', r.current);
  if (r.clear > 0) out += row('clear keys in the file', r.clear, '  (under no LMK: left as they are)');
  out += row('keys under neither LMK', r.unreadable.length);
  out += row(
    dryRun ? 'working keys to revoke' : 'working keys revoked',
    r.workingKeysRevoked,
    '  (those boxes sign on again)',
  );
  out += row('working keys kept', r.workingKeysKept, '  (already under the new LMK)');
  if (r.unreadable.length > 0) {
    out += `opens under neither LMK, left as it is (re-import from the ceremony record): ${r.unreadable.join(' ')}\n`;
  }
  if (r.changedDuringRun.length > 0) {
    out += `put back under the old LMK by a concurrent write, run rewrap again: ${r.changedDuringRun.join(' ')}\n`;
  }
  return out;
}

export async function resign(values: Values): Promise<number> {
  const target = registryTarget(values);
  if ('file' in target) {
    throw new UsageError(
      "the embedded deployment keeps working keys in serve's memory: restart serve and every box signs on again",
    );
  }
  const tid = values.tid as string | undefined;
  if (Boolean(tid) === Boolean(values.all)) throw new UsageError('terminal resign needs --tid TID or --all');
  const store = openStore(target);
  try {
    if (!tid) {
      const r = await revokeAllWorkingKeys(store);
      process.stdout.write(
        `${r.terminals} terminals: working keys revoked ${r.revoked}, not signed on ${r.notSignedOn}, DUKPT (no working keys) ${r.dukpt}\n`,
      );
      return 0;
    }
    const rec = await store.getTerminal(tid);
    if (!rec) throw new UsageError(`no terminal ${tid}`);
    const outcome = await revokeWorkingKeys(store, rec);
    if (outcome === 'dukpt') {
      throw new UsageError(`${tid} uses ${rec.keyMode}: its keys derive from the BDK per transaction, none to revoke`);
    }
    process.stdout.write(
      outcome === 'revoked'
        ? `${tid} working keys revoked: its next MACed request gets 22 and it signs on again\n`
        : `${tid} was not signed on: its next MACed request gets 22\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
